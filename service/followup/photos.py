"""Photos of walk findings: checked, cleaned of metadata and stored in the data directory.

A phone photo carries EXIF: the camera, the owner's name, the time and often the exact
position. Only the position may be kept, and only when the person who took the photo agrees;
everything else is dropped by re-encoding the pixels (orientation is applied first, so the
photo still stands the right way up). HEIC/HEIF photos (iPhones) are converted to JPEG with
``pillow-heif``.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from geodata.errors import InvalidInputError

#: Largest photo accepted (bytes), per photo.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
#: Photos per finding.
MAX_PHOTOS = 3
#: Largest image accepted (pixels); beyond this a "photo" is a decompression bomb.
MAX_PIXELS = 60_000_000
#: Formats stored as they are (Pillow's names) and the file suffix they get.
STORED = {"JPEG": ".jpg", "PNG": ".png"}
#: Formats converted to JPEG on arrival.
CONVERTED = {"HEIF", "HEIC", "AVIF"}
#: Media types of the stored files.
MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}

try:  # HEIC support is optional: without it such photos are refused with a clear message.
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIC_SUPPORTED = False


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: encoded bytes, file suffix, and whether a position was kept."""

    data: bytes
    suffix: str
    position_kept: bool


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".replace(".", ",")


def clean_photo(data: bytes, filename: str = "", keep_position: bool = False) -> CleanPhoto:
    """Check one uploaded photo and re-encode it without metadata.

    Parameters
    ----------
    data
        The uploaded file.
    filename
        Its name on the phone, for the messages.
    keep_position
        Keep the EXIF GPS position (the user agreed); all other EXIF is always removed.

    Raises
    ------
    InvalidInputError
        Empty, larger than :data:`MAX_PHOTO_BYTES`, not an image, or not JPEG, PNG or HEIC.
    """
    name = f"«{filename}»" if filename else "Bilden"
    if not data:
        raise InvalidInputError(f"{name} är tom.")
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInputError(
            f"{name} är {_megabytes(len(data))} MB; en bild får vara högst "
            f"{MAX_PHOTO_BYTES // 1024 // 1024} MB."
        )
    try:
        image = Image.open(io.BytesIO(data))
        kind = (image.format or "").upper()
        if kind in CONVERTED and not HEIC_SUPPORTED:
            raise InvalidInputError(
                f"{name} är en HEIC-bild, som tjänsten inte kan läsa. Ställ in kameran på "
                "”Mest kompatibel” eller skicka bilden som JPEG."
            )
        if kind not in STORED and kind not in CONVERTED:
            raise InvalidInputError(f"{name} är en {kind}-bild; skicka JPEG, PNG eller HEIC.")
        if image.width * image.height > MAX_PIXELS:
            raise InvalidInputError(f"{name} har för många bildpunkter.")
        exif = image.getexif()
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo) if keep_position else {}
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        raise InvalidInputError(f"{name} är inte en bild som går att läsa (JPEG, PNG).") from None
    kept = Image.Exif()
    if gps:
        kept[ExifTags.IFD.GPSInfo] = gps
    out = io.BytesIO()
    if kind == "PNG":
        suffix = ".png"
        upright.save(out, "PNG", exif=kept if gps else None, optimize=False)
    else:
        suffix = ".jpg"
        rgb = upright.convert("RGB") if upright.mode not in ("RGB", "L") else upright
        options: dict[str, object] = {"quality": 88}
        if gps:
            options["exif"] = kept
        rgb.save(out, "JPEG", **options)
    return CleanPhoto(data=out.getvalue(), suffix=suffix, position_kept=bool(gps))


def photo_dir(data_dir: Path, finding_id: int | None) -> Path:
    """Where a finding's photos live: ``<data dir>/fynd/<id>/`` (the finding must be stored)."""
    if finding_id is None:
        raise ValueError("a finding gets photos once it is stored (it has no id yet)")
    return data_dir / "fynd" / str(int(finding_id))


def store_photos(data_dir: Path, finding_id: int | None, photos: list[CleanPhoto]) -> list[Path]:
    """Write a finding's cleaned photos as ``1.jpg``, ``2.png``...; only the owner may read."""
    folder = photo_dir(data_dir, finding_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = []
    for number, photo in enumerate(photos, start=1):
        path = folder / f"{number}{photo.suffix}"
        path.write_bytes(photo.data)
        path.chmod(0o600)
        paths.append(path)
    return paths


def photos_of(data_dir: Path, finding_id: int | None) -> list[Path]:
    """A finding's stored photos in order (none when it has none)."""
    folder = photo_dir(data_dir, finding_id)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.suffix in MEDIA_TYPES and p.stem.isdigit()]
    return sorted(found, key=lambda p: int(p.stem))


def photo_file(data_dir: Path, finding_id: int | None, number: int) -> Path | None:
    """Photo ``number`` (1-based) of a finding, or None."""
    for path in photos_of(data_dir, finding_id):
        if int(path.stem) == number:
            return path
    return None


def remove_photos(data_dir: Path, finding_id: int | None) -> None:
    """Delete a finding's photos (when the finding could not be stored)."""
    shutil.rmtree(photo_dir(data_dir, finding_id), ignore_errors=True)
