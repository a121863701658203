"""``loftesplan serve``: start the web service."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command(help="Starta Löftesplans webbtjänst (API-dokumentation på /docs).")
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
    ) -> None:
        """Start the Löftesplan web service (API at /docs)."""
        import gc

        import uvicorn

        from service.api.app import create_app
        from service.settings import configure_logging, get_service_settings
        from service.store.db import StorageError

        settings = get_service_settings()
        configure_logging(settings, server=True)
        try:
            app = create_app(settings)
        except StorageError as exc:  # one clear line, whatever the terminal width
            typer.echo(f"Fel: {exc}", err=True)
            raise typer.Exit(2) from None
        from service.followup.live import start_live_poll

        # off when offline or set to 0; proposes new notices to the active plans
        start_live_poll(settings.polisen_poll_minutes, app.state.engine)
        # The start-up objects (modules, reference data: ~240,000) live as long as the process:
        # keep them out of the collector's full passes, each of which stopped every request
        # for ~200 ms under load.
        gc.freeze()
        uvicorn.run(app, host=host, port=port)
