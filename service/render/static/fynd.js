// Findings on a phone: position from the phone or a tap on the map, checks before sending,
// and a queue in the browser (IndexedDB, which keeps photos as they are) while offline.
// Queued findings are sent when the phone is back online. No dependencies beyond Leaflet.
// Each finding gets a random key when it is made, sent with every try in the
// Idempotency-Key header: a finding resent after a lost answer is stored once.
(function () {
  "use strict";
  var form = document.getElementById("fynd-form");
  if (!form || !window.Vandring) { return; }
  var map = window.Vandring.map;
  var MAX_PHOTOS = 3;
  var MAX_BYTES = 10 * 1024 * 1024;
  var TYPES = ["image/jpeg", "image/png", "image/heic", "image/heif"];
  var walkUrl = form.getAttribute("action");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var shown = document.getElementById("vald-position");
  var answer = document.getElementById("svar");
  var banner = document.getElementById("natlage");
  var queueList = document.getElementById("ko");
  var savedList = document.getElementById("sparade");
  var marker = null;

  // A random key per finding; crypto.randomUUID needs a secure context (https, localhost),
  // so elsewhere a version 4 UUID is made from crypto.getRandomValues.
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function decimal(x, digits) { return x.toFixed(digits).replace(".", ","); }

  function setPosition(la, lo, how) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    shown.textContent = "Vald position: " + decimal(la, 5) + ", " + decimal(lo, 5) + " (" + how + ")";
    if (marker) { marker.setLatLng([la, lo]); } else {
      marker = L.circleMarker([la, lo], { radius: 10, color: "#f0a500", weight: 4 }).addTo(map);
    }
    showError("position", "");
  }

  map.on("click", function (e) { setPosition(e.latlng.lat, e.latlng.lng, "tryck på kartan"); });
  document.getElementById("min-position").addEventListener("click", function () {
    if (!navigator.geolocation) {
      showError("position", "Telefonen ger ingen position här; tryck på kartan i stället.");
      return;
    }
    navigator.geolocation.getCurrentPosition(function (p) {
      setPosition(p.coords.latitude, p.coords.longitude, "telefonens position, ±" + Math.round(p.coords.accuracy) + " m");
      map.panTo([p.coords.latitude, p.coords.longitude]);
    }, function () {
      showError("position", "Telefonen gav ingen position; tryck på kartan i stället.");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  });

  function showError(field, message) {
    var el = document.getElementById("fel-" + field);
    if (!el) { return; }
    el.textContent = message;
    el.hidden = !message;
    var input = document.getElementById(field === "position" ? "min-position" : field);
    if (input && field !== "position") {
      if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    }
  }

  function check(entry) {
    var errors = {};
    if (!entry.lat || !entry.lon) { errors.position = "Ange var fyndet finns: tryck på ”Använd min position” eller på kartan."; }
    if (!entry.category) { errors.category = "Välj en kategori ur checklistan."; }
    if (!entry.description.trim()) { errors.description = "Skriv en kort beskrivning av fyndet."; }
    if (entry.photos.length > MAX_PHOTOS) { errors.photos = "Högst " + MAX_PHOTOS + " foton per fynd."; } else {
      var problems = [];
      entry.photos.forEach(function (f) {
        var heic = /\.(heic|heif)$/i.test(f.name);
        if (TYPES.indexOf(f.type) < 0 && !heic) { problems.push("«" + f.name + "» är inte en JPEG-, PNG- eller HEIC-bild."); }
        else if (f.size > MAX_BYTES) { problems.push("«" + f.name + "» är " + decimal(f.size / 1048576, 1) + " MB; en bild får vara högst 10 MB."); }
      });
      if (problems.length) { errors.photos = problems.join(" "); }
    }
    return errors;
  }

  function showErrors(errors) {
    ["position", "category", "description", "photos"].forEach(function (f) { showError(f, errors[f] || ""); });
  }

  // --- the queue (IndexedDB) ---------------------------------------------------------
  function db() {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("loftesplan-fynd", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("ko", { keyPath: "key", autoIncrement: true }); };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
  }
  function store(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction("ko", mode);
        var result = work(tx.objectStore("ko"));
        tx.oncomplete = function () { resolve(result && result.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function queued() {
    return store("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (e) { return e.url === walkUrl; });
    });
  }
  function enqueue(entry) { return store("readwrite", function (s) { return s.add(entry); }); }
  function dequeue(key) { return store("readwrite", function (s) { return s.delete(key); }); }

  function showQueue() {
    return queued().then(function (all) {
      queueList.replaceChildren();
      if (!all.length) { queueList.appendChild(item("Inga fynd i kö.", "tom")); }
      all.forEach(function (e) {
        queueList.appendChild(item(e.categoryLabel + ": " + e.description + photoText(e.photos.length), "koad"));
      });
    });
  }
  function item(text, className) {
    var li = document.createElement("li");
    li.textContent = text;
    if (className) { li.className = className; }
    return li;
  }
  function photoText(n) { return n ? " (" + n + (n > 1 ? " foton)" : " foto)") : ""; }

  // --- sending -----------------------------------------------------------------------
  function send(entry) {
    var body = new FormData();
    ["lat", "lon", "category", "description"].forEach(function (k) { body.append(k, entry[k]); });
    if (entry.keep) { body.append("keep_position", "1"); }
    entry.photos.forEach(function (f) { body.append("photos", f, f.name); });
    var headers = { "Accept": "application/json" };
    if (entry.idempotencyKey) { headers["Idempotency-Key"] = entry.idempotencyKey; }  // entries queued before keys had none
    return fetch(walkUrl, {
      method: "POST", body: body, credentials: "same-origin", headers: headers
    }).then(function (r) {
      // "saved", "refused" (with a message per field) or "later" (kept in the queue).
      if (r.status === 413) { return { kind: "refused", errors: { photos: "Fotona är för stora tillsammans; skicka färre eller mindre bilder." } }; }
      if (r.status === 401) { return { kind: "later", errors: { position: "Du är utloggad. Logga in igen; fynden i kön skickas sedan." } }; }
      return r.json().then(function (j) {
        var detail = typeof j.detail === "string" ? j.detail : "";  // a 422's detail may be a list
        if (r.ok && j.saved) { return { kind: "saved", body: j }; }
        if (r.ok || r.status === 403 || r.status === 404 || r.status === 409 || r.status === 422) {
          return { kind: "refused", errors: j.errors || { position: detail || "Fyndet kunde inte sparas." } };
        }
        return { kind: "later", errors: { position: detail || "Fyndet kunde inte sparas nu." } };
      });
    });
  }

  function saved(entry, id) {
    // A finding resent after a lost answer may already be listed (stored the first time).
    if (document.getElementById("sparat-" + id)) { return; }
    var li = item(entry.categoryLabel + ": " + entry.description + photoText(entry.photos.length), "ny");
    li.id = "sparat-" + id;
    savedList.appendChild(li);
    var count = document.getElementById("antal-sparade");
    count.textContent = String(savedList.children.length);
    L.circleMarker([parseFloat(entry.lat), parseFloat(entry.lon)], { radius: 7, color: "#a51d16", weight: 2, fillOpacity: 0.7 })
      .bindTooltip(window.Vandring.label(entry.categoryLabel)).addTo(map);
  }

  var flushing = false;
  function flush() {
    if (flushing || !navigator.onLine) { return Promise.resolve(); }
    flushing = true;
    return queued().then(function (all) {
      return all.reduce(function (chain, entry) {
        return chain.then(function () {
          if (!navigator.onLine) { return null; }
          return send(entry).then(function (res) {
            if (res.kind === "saved") {
              saved(entry, res.body.id);
              answer.textContent = "Ett fynd ur kön är skickat och sparat.";
              return dequeue(entry.key);
            }
            if (res.kind === "refused") {
              var why = Object.keys(res.errors).map(function (k) { return res.errors[k]; }).join(" ");
              answer.textContent = "Ett fynd ur kön avvisades: " + why;
              return dequeue(entry.key);
            }
            answer.textContent = (res.errors && res.errors.position) || "Kön skickas senare.";
            return null;
          }, function () { return null; });
        });
      }, Promise.resolve());
    }).then(showQueue).finally(function () { flushing = false; });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var select = document.getElementById("category");
    var entry = {
      url: walkUrl,
      lat: lat.value, lon: lon.value,
      category: select.value,
      categoryLabel: select.value ? select.options[select.selectedIndex].text : "",
      description: document.getElementById("description").value,
      keep: document.getElementById("keep_position").checked,
      photos: Array.prototype.slice.call(document.getElementById("photos").files || []),
      created: new Date().toISOString(),
      idempotencyKey: newKey()
    };
    var errors = check(entry);
    showErrors(errors);
    if (Object.keys(errors).length) { answer.textContent = "Rätta det som är markerat."; return; }
    function reset() {
      form.reset();
      lat.value = ""; lon.value = "";
      shown.textContent = "Ingen position vald.";
    }
    if (!navigator.onLine) {
      enqueue(entry).then(function () {
        answer.textContent = "Ingen uppkoppling: fyndet ligger i kö och skickas när telefonen är uppkopplad igen.";
        reset();
        return showQueue();
      });
      return;
    }
    answer.textContent = "Skickar …";
    send(entry).then(function (res) {
      if (res.kind === "saved") {
        answer.textContent = res.body.message;
        saved(entry, res.body.id);
        reset();
      } else {
        showErrors(res.errors || {});
        answer.textContent = "Fyndet sparades inte; rätta det som är markerat.";
      }
    }, function () {
      return enqueue(entry).then(function () {
        answer.textContent = "Fyndet kunde inte skickas; det ligger i kö och skickas när uppkopplingen fungerar.";
        reset();
        return showQueue();
      });
    });
  });

  function network() {
    banner.hidden = navigator.onLine;
    if (navigator.onLine) { flush(); }
  }
  window.addEventListener("online", network);
  window.addEventListener("offline", network);
  showQueue().then(network);
}());
