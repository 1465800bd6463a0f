// What an inspector's changes need on every page of the app, not only on their own checklist
// (PRODUCT.md §4, Settled questions "Sessions and tablets"; nothing typed is lost):
//
// - the saves and photos that wait in this browser (checklist.js keeps them: localStorage
//   "pingyi:checklist:<id>:queue", IndexedDB "pingyi-checklist") go out as soon as the network
//   returns, whichever page is open; the checklist page sends its own, this sends the others';
// - what the server answered is remembered ("pingyi:checklist:<id>:known") so that a checklist
//   opened later from a copy kept offline shows it, and builds on the right version;
// - /inspect says, per checklist, how many changes wait, and offers the checklists for offline use;
// - a page served from the copy kept offline says since when it is a copy;
// - signing out with changes still waiting asks first; signing out forgets the kept pages;
// - the service worker (/inspect/sw.js) that keeps the pages is registered here.
(function () {
  "use strict";

  var script = document.currentScript;
  var PAGES = "pingyi-pages-v1";
  var STATIC = "pingyi-static-v1";
  var KEPT_AT = "x-pingyi-kept-at";
  var QUEUE_KEY = /^pingyi:checklist:(\d+):queue$/;
  var MAX_RETRY_MS = 30000;

  function text(name, values) {
    var template = (script && script.getAttribute("data-text-" + name)) || "";
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values && values[key] !== undefined ? String(values[key]) : "";
    });
  }

  var newId = window.Pingyi.newId;
  var csrfToken = window.Pingyi.csrfToken;

  // An instant as the app shows every time: Asia/Shanghai, "2026-12-08 10:32".
  function localTime(iso) {
    var moment = new Date(iso);
    if (isNaN(moment.getTime())) return "";
    var parts = {};
    new Intl.DateTimeFormat("en-CA", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(moment).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  // The checklist whose page is open sends its own changes (checklist.js).
  var ownRoot = document.getElementById("checklist");
  var ownChecklist = ownRoot ? ownRoot.getAttribute("data-checklist-id") : null;

  function readJson(key, fallback) {
    try {
      var value = JSON.parse(window.localStorage.getItem(key) || "null");
      return value && typeof value === "object" ? value : fallback;
    } catch (error) {
      return fallback;
    }
  }

  function writeJson(key, value, empty) {
    try {
      if (empty) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      // Storage full or refused: what is in memory still goes out.
    }
  }

  function queueKey(checklistId) { return "pingyi:checklist:" + checklistId + ":queue"; }
  function knownKey(checklistId) { return "pingyi:checklist:" + checklistId + ":known"; }
  function problemsKey(checklistId) { return "pingyi:checklist:" + checklistId + ":problems"; }

  function queuedChecklists() {
    var ids = [];
    for (var index = 0; index < window.localStorage.length; index += 1) {
      var match = QUEUE_KEY.exec(window.localStorage.key(index) || "");
      if (match) ids.push(match[1]);
    }
    return ids;
  }

  // What the server last said of a checklist's items and photos: written on every answer to a
  // save or an upload, read when a page opens (a kept copy may be older than these).
  var known = {
    read: function (checklistId) {
      var value = readJson(knownKey(checklistId), {});
      value.items = value.items || {};
      value.photos = value.photos || {};
      value.deleted = value.deleted || [];
      return value;
    },
    write: function (checklistId, value) {
      var empty = !Object.keys(value.items).length && !Object.keys(value.photos).length &&
        !value.deleted.length && !value.status;
      writeJson(knownKey(checklistId), value, empty);
    },
    saved: function (checklistId, indicatorId, data) {
      var value = known.read(checklistId);
      var before = value.items[indicatorId];
      if (!before || before.version <= data.version) {
        value.items[indicatorId] = {
          version: data.version, value: data.value === null ? "" : String(data.value), note: data.note || "",
          points: data.points === undefined ? null : data.points, by: data.by || "", at: data.at || ""
        };
      }
      if (data.checklist_status) {
        value.status = data.checklist_status;
        value.status_label = data.checklist_status_label || "";
      }
      known.write(checklistId, value);
    },
    photo: function (checklistId, indicatorId, data, uploadId) {
      var value = known.read(checklistId);
      var list = value.photos[indicatorId] = value.photos[indicatorId] || [];
      if (!list.some(function (photo) { return photo.id === data.id; })) {
        list.push({ id: data.id, url: data.url, name: data.original_name, upload_id: uploadId });
      }
      known.write(checklistId, value);
    },
    photoDeleted: function (checklistId, evidenceId) {
      var value = known.read(checklistId);
      Object.keys(value.photos).forEach(function (indicatorId) {
        value.photos[indicatorId] = value.photos[indicatorId].filter(function (photo) {
          return String(photo.id) !== String(evidenceId);
        });
        if (!value.photos[indicatorId].length) delete value.photos[indicatorId];
      });
      if (value.deleted.indexOf(String(evidenceId)) < 0) value.deleted.push(String(evidenceId));
      known.write(checklistId, value);
    },
    forget: function (checklistId, value) { known.write(checklistId, value); }
  };

  // Refusals for good (a value out of range, a checklist submitted meanwhile) met while the
  // checklist was not open: shown on its cards when it is opened.
  var problems = {
    read: function (checklistId) { return readJson(problemsKey(checklistId), {}); },
    add: function (checklistId, indicatorId, message) {
      var value = problems.read(checklistId);
      value[indicatorId] = message;
      writeJson(problemsKey(checklistId), value, false);
    },
    clear: function (checklistId) { writeJson(problemsKey(checklistId), null, true); }
  };

  // Photos waiting in IndexedDB, the same database checklist.js keeps them in.
  function openPhotoDb() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var request;
      try {
        request = indexedDB.open("pingyi-checklist", 1);
      } catch (error) {
        resolve(null);
        return;
      }
      request.onupgradeneeded = function () {
        request.result.createObjectStore("photos", { keyPath: "upload_id" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { resolve(null); };
    });
  }

  var photoDb = null;
  var photoDbOpened = openPhotoDb().then(function (db) { photoDb = db; return db; });

  function waitingPhotos() {
    return photoDbOpened.then(function (db) {
      if (!db) return [];
      return new Promise(function (resolve) {
        var request = db.transaction("photos", "readonly").objectStore("photos").getAll();
        request.onsuccess = function () { resolve(request.result || []); };
        request.onerror = function () { resolve([]); };
      });
    });
  }

  function forgetPhoto(uploadId) {
    if (!photoDb) return Promise.resolve();
    return new Promise(function (resolve) {
      var transaction = photoDb.transaction("photos", "readwrite");
      transaction.objectStore("photos").delete(uploadId);
      transaction.oncomplete = resolve;
      transaction.onerror = resolve;
    });
  }

  // checklist id → {pending, conflicts}: what waits in this browser.
  function counts() {
    var result = {};
    function of(id) { return (result[id] = result[id] || { pending: 0, conflicts: 0 }); }
    queuedChecklists().forEach(function (id) {
      var queue = readJson(queueKey(id), {});
      Object.keys(queue).forEach(function (indicatorId) {
        of(id).pending += 1;
        if (queue[indicatorId] && queue[indicatorId].conflict) of(id).conflicts += 1;
      });
    });
    return waitingPhotos().then(function (records) {
      records.forEach(function (record) { of(String(record.checklist_id)).pending += 1; });
      return result;
    });
  }

  // ------------------------------------------------------------------ sending

  var sending = false;
  var signedOut = false;
  var retryTimer = null;
  var retryDelay = 2000;

  function itemUrl(checklistId, indicatorId) {
    return "/inspect/checklists/" + checklistId + "/items/" + indicatorId;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Accept": "application/json", "x-csrftoken": csrfToken() },
      body: body,
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  // One save of one item; resolves to "next" (go on), "stop" (signed out) or "retry" (no network).
  function sendSave(checklistId, indicatorId) {
    var queue = readJson(queueKey(checklistId), {});
    var entry = queue[indicatorId];
    if (!entry || !entry.sent || entry.conflict) return Promise.resolve("next");
    var save = entry.sent;
    var body = new URLSearchParams();
    body.set("save_id", save.save_id);
    body.set("base_version", String(save.base_version));
    body.set("value", save.value);
    body.set("note", save.note);
    return post(itemUrl(checklistId, indicatorId), body).then(function (answer) {
      // Read again: the page of this checklist may have changed the queue meanwhile.
      queue = readJson(queueKey(checklistId), {});
      entry = queue[indicatorId];
      var stillOurs = entry && entry.sent && entry.sent.save_id === save.save_id;
      if (answer.status === 401) return "stop";
      if (answer.status === 200) {
        known.saved(checklistId, indicatorId, answer.data);
        if (stillOurs) {
          if (entry.next) {
            entry.sent = { save_id: newId(), base_version: answer.data.version, value: entry.next.value,
                           note: entry.next.note };
            entry.next = null;
          } else {
            delete queue[indicatorId];
          }
        }
      } else if (answer.status === 409) {
        if (stillOurs) {
          entry.next = entry.next || { value: save.value, note: save.note };
          entry.sent = null;
          entry.conflict = { version: answer.data.version, value: answer.data.value, note: answer.data.note || "",
                             by: answer.data.by || "", at: answer.data.at || "" };
        }
      } else if (answer.status === 422 || answer.status === 423 || answer.status === 404) {
        problems.add(checklistId, indicatorId, answer.data.message || String(answer.status));
        if (stillOurs) delete queue[indicatorId];
      } else {
        return "retry";
      }
      writeJson(queueKey(checklistId), queue, !Object.keys(queue).length);
      return "next";
    }, function () { return "retry"; });
  }

  function sendPhoto(record) {
    var body = new FormData();
    body.append("upload_id", record.upload_id);
    body.append("photo", record.blob, record.name);
    return post(itemUrl(record.checklist_id, record.indicator_id) + "/photos", body).then(function (answer) {
      if (answer.status === 401) return "stop";
      if (answer.status === 200) {
        known.photo(String(record.checklist_id), String(record.indicator_id), answer.data, record.upload_id);
        return forgetPhoto(record.upload_id).then(function () { return "next"; });
      }
      if (answer.status === 413 || answer.status === 422 || answer.status === 423 || answer.status === 404) {
        problems.add(String(record.checklist_id), String(record.indicator_id),
                     answer.status === 413 ? text("photo-too-big") : (answer.data.message || String(answer.status)));
        return forgetPhoto(record.upload_id).then(function () { return "next"; });
      }
      return "retry";
    }, function () { return "retry"; });
  }

  // Everything waiting, one request at a time (an item's saves in order), but the open checklist's.
  function flush() {
    if (sending || signedOut) return Promise.resolve();
    sending = true;
    var work = [];
    queuedChecklists().forEach(function (checklistId) {
      if (checklistId === ownChecklist) return;
      Object.keys(readJson(queueKey(checklistId), {})).forEach(function (indicatorId) {
        work.push(function () { return sendUntilDone(checklistId, indicatorId); });
      });
    });
    return waitingPhotos().then(function (records) {
      records.forEach(function (record) {
        if (String(record.checklist_id) === ownChecklist) return;
        work.push(function () { return sendPhoto(record); });
      });
      return run(work, 0);
    }).then(function (outcome) {
      sending = false;
      if (outcome === "stop") {
        signedOut = true;
      } else if (outcome === "retry") {
        scheduleRetry();
      } else {
        retryDelay = 2000;
      }
      return show();
    });
  }

  // An item whose save was answered with a newer change waiting sends that one too.
  function sendUntilDone(checklistId, indicatorId) {
    return sendSave(checklistId, indicatorId).then(function (outcome) {
      var entry = readJson(queueKey(checklistId), {})[indicatorId];
      if (outcome === "next" && entry && entry.sent && !entry.conflict) return sendUntilDone(checklistId, indicatorId);
      return outcome;
    });
  }

  function run(work, index) {
    if (index >= work.length) return Promise.resolve("done");
    return work[index]().then(function (outcome) {
      if (outcome === "stop" || outcome === "retry") return outcome;
      return run(work, index + 1);
    });
  }

  function scheduleRetry() {
    if (retryTimer) return;
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      flush();
    }, retryDelay);
    retryDelay = Math.min(MAX_RETRY_MS, retryDelay * 2);
  }

  window.addEventListener("online", function () {
    retryDelay = 2000;
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    flush();
  });

  // ------------------------------------------------------------------ showing it

  var banner = null;

  function showBanner(message, link) {
    if (!message) {
      if (banner) banner.hidden = true;
      return;
    }
    if (!banner) {
      banner = document.createElement("p");
      banner.id = "outbox-state";
      banner.className = "outbox-state";
      banner.setAttribute("role", "status");
      var main = document.getElementById("main");
      if (main) main.prepend(banner);
      else document.body.prepend(banner);
    }
    banner.hidden = false;
    banner.textContent = message;
    if (link) {
      var anchor = document.createElement("a");
      anchor.href = link;
      anchor.textContent = text("sign-in");
      banner.append(" ", anchor);
    }
  }

  // The list's "waiting" cells, and a line on other pages while something of another checklist waits.
  function show() {
    return counts().then(function (byChecklist) {
      var others = 0, conflicts = 0;
      Object.keys(byChecklist).forEach(function (id) {
        if (id === ownChecklist) return;
        others += byChecklist[id].pending;
        conflicts += byChecklist[id].conflicts;
      });
      Array.prototype.forEach.call(document.querySelectorAll("[data-pending-for]"), function (cell) {
        var found = byChecklist[cell.getAttribute("data-pending-for")] || { pending: 0, conflicts: 0 };
        var label = found.conflicts ? text("list-conflicts", { n: found.pending, c: found.conflicts })
          : found.pending ? text("list-pending", { n: found.pending }) : text("list-none");
        cell.textContent = label;
        cell.setAttribute("data-pending", String(found.pending));
        cell.classList.toggle("has-pending", found.pending > 0);
      });
      if (signedOut && others) {
        showBanner(text("signed-out", { n: others }),
                   "/staff/login?next=" + encodeURIComponent(window.location.pathname));
      } else if (conflicts) {
        showBanner(text("conflicts", { n: conflicts }));
      } else if (others) {
        showBanner(navigator.onLine === false || retryTimer ? text("waiting", { n: others }) : text("sending", { n: others }));
      } else {
        showBanner("");
      }
      return byChecklist;
    });
  }

  // ------------------------------------------------------------------ copies kept for offline use

  function offlineCopyNotice() {
    var meta = document.querySelector('meta[name="pingyi-offline-copy"]');
    if (!meta) return;
    var notice = document.createElement("p");
    notice.className = "offline-copy";
    notice.id = "offline-copy";
    notice.setAttribute("role", "note");
    notice.textContent = text("copy", { at: localTime(meta.getAttribute("content")) });
    var main = document.getElementById("main");
    if (main) main.prepend(notice);
  }

  function staticUrls(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var urls = [];
    Array.prototype.forEach.call(page.querySelectorAll('link[href^="/static/"], script[src^="/static/"]'), function (el) {
      urls.push(el.getAttribute("href") || el.getAttribute("src"));
    });
    return urls;
  }

  // A page fetched now and kept as the service worker keeps what it serves, with its static files.
  function keepPage(path) {
    return fetch(path, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) {
        var isHtml = (response.headers.get("content-type") || "").indexOf("text/html") === 0;
        if (response.status !== 200 || response.redirected || !isHtml) throw new Error("not kept");
        return response.text().then(function (html) {
          var headers = new Headers(response.headers);
          headers.set(KEPT_AT, new Date().toISOString());
          headers.delete("content-length");
          return caches.open(PAGES).then(function (cache) {
            return cache.put(path, new Response(html, { status: 200, headers: headers }));
          }).then(function () {
            return caches.open(STATIC).then(function (cache) {
              return Promise.all(staticUrls(html).map(function (url) {
                return cache.match(url).then(function (kept) { return kept || cache.add(url); });
              }));
            });
          });
        });
      });
  }

  function keptAt(path) {
    if (!window.caches) return Promise.resolve(null);
    return caches.open(PAGES).then(function (cache) {
      return cache.match(path).then(function (kept) { return kept ? kept.headers.get(KEPT_AT) : null; });
    });
  }

  function showKept(row) {
    var path = row.getAttribute("data-checklist-path");
    var state = row.querySelector(".offline-state");
    return keptAt(path).then(function (at) {
      row.setAttribute("data-kept", at ? "true" : "false");
      if (state) state.textContent = at ? text("kept", { at: localTime(at) }) : text("not-kept");
    });
  }

  function download(rows, button) {
    var status = document.getElementById("download-status");
    button.disabled = true;
    if (status) status.textContent = text("downloading");
    var failed = 0;
    // The list itself and the notice for pages never kept come along.
    var chain = keepPage(OFFLINE_NOTICE).catch(function () {})
      .then(function () { return keepPage("/inspect").catch(function () {}); });
    rows.forEach(function (row) {
      chain = chain.then(function () {
        return keepPage(row.getAttribute("data-checklist-path")).catch(function () { failed += 1; })
          .then(function () { return showKept(row); });
      });
    });
    return chain.then(function () {
      button.disabled = false;
      if (status) status.textContent = failed ? text("download-failed", { n: failed }) : text("downloaded", { n: rows.length });
    });
  }

  var OFFLINE_NOTICE = "/inspect/offline";

  function offerDownloads() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-checklist-path]"));
    if (!rows.length || !window.caches || !("serviceWorker" in navigator)) return;
    Array.prototype.forEach.call(document.querySelectorAll(".offline-only"), function (el) { el.hidden = false; });
    rows.forEach(function (row) {
      showKept(row);
      var button = row.querySelector("button.download-one");
      if (button) button.addEventListener("click", function () { download([row], button); });
    });
    var all = document.getElementById("download-all");
    if (all) all.addEventListener("click", function () { download(rows, all); });
  }

  // ------------------------------------------------------------------ signing out

  function forgetKeptPages() {
    return window.caches ? caches.delete(PAGES).catch(function () {}) : Promise.resolve();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches('form[action="/staff/logout"]')) return;
    event.preventDefault();
    counts().then(function (byChecklist) {
      var waiting = 0;
      Object.keys(byChecklist).forEach(function (id) { waiting += byChecklist[id].pending; });
      // The open checklist's typing not yet queued counts too.
      if (window.pingyiChecklistUnsaved) waiting += window.pingyiChecklistUnsaved();
      if (waiting && !window.confirm(text("sign-out-warning", { n: waiting }))) return;
      return forgetKeptPages().then(function () { form.submit(); });
    });
  });

  // ------------------------------------------------------------------ start

  window.pingyiOutbox = { known: known, problems: problems, show: show };

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/inspect/sw.js", { scope: "/inspect" }).catch(function () {
      // No service worker (a plain-http address other than localhost): pages need the network.
    });
  }
  offlineCopyNotice();
  offerDownloads();
  show().then(function () { if (navigator.onLine !== false) flush(); });
})();
