// Walk maps without a tile server: the route, numbered stops and findings from the page's
// own JSON (id "vandring-data"), or the municipality's settlements for picking a point.
// Text goes into the map only as textContent. Served by the service itself; no build step.
(function () {
  "use strict";
  var dataEl = document.getElementById("vandring-data");
  if (!dataEl || typeof L === "undefined") { return; }
  var data = JSON.parse(dataEl.textContent);

  function label(text, className) {
    var el = document.createElement("span");
    el.className = className || "";
    el.textContent = text;
    return el;
  }

  function newMap(id) {
    var map = L.map(id, { zoomSnap: 0.25 });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Kartdata © OpenStreetMap contributors");
    return map;
  }

  function drawWalk(map) {
    var line = (data.route || []).map(function (p) { return [p[1], p[0]]; });
    var bounds = L.latLngBounds(line);
    if (line.length) { L.polyline(line, { color: "#0b3d6e", weight: 5, opacity: 0.85 }).addTo(map); }
    (data.stops || []).forEach(function (s) {
      var icon = L.divIcon({ className: "stop-nr", html: label(String(s.n)), iconSize: [26, 26] });
      L.marker([s.lat, s.lon], { icon: icon, keyboard: false, title: s.n + ". " + s.name }).addTo(map);
      bounds.extend([s.lat, s.lon]);
    });
    (data.findings || []).forEach(function (f) {
      L.circleMarker([f.lat, f.lon], { radius: 7, color: "#a51d16", weight: 2, fillOpacity: 0.7 })
        .bindTooltip(label(f.text)).addTo(map);
    });
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20] }); } else { map.setView([62, 15], 5); }
  }

  function drawPicker(map) {
    var lat = document.getElementById("lat");
    var lon = document.getElementById("lon");
    var town = document.getElementById("ort");
    var marker = null;
    var bounds = L.latLngBounds([]);
    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); } else {
        marker = L.circleMarker(latlng, { radius: 9, color: "#a51d16", weight: 3 }).addTo(map);
      }
    }
    (data.towns || []).forEach(function (t) {
      var m = L.circleMarker([t.lat, t.lon], { radius: 4, color: "#4a5562", weight: 1, fillOpacity: 0.6 });
      m.bindTooltip(label(t.name), { direction: "top" }).addTo(map);
      bounds.extend([t.lat, t.lon]);
    });
    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(5);
      lon.value = e.latlng.lng.toFixed(5);
      town.value = "";
      place(e.latlng);
    });
    if (lat.value && lon.value) {
      var chosen = L.latLng(parseFloat(lat.value.replace(",", ".")), parseFloat(lon.value.replace(",", ".")));
      place(chosen);
      map.setView(chosen, 13);
    } else if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20] }); } else { map.setView([62, 15], 5); }
    var form = town.form;
    form.addEventListener("submit", function () {
      document.getElementById("vanta").hidden = false;
      document.getElementById("planera").disabled = true;
    });
  }

  var target = document.getElementById("vandring-karta") || document.getElementById("fynd-karta");
  if (target) {
    var map = newMap(target.id);
    drawWalk(map);
    window.Vandring = { map: map, data: data, label: label };
  } else if (document.getElementById("valj-karta")) {
    var picker = newMap("valj-karta");
    drawPicker(picker);
    window.Vandring = { map: picker, data: data, label: label };
  }
}());
