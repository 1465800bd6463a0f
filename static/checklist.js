// The checklist page: every change is saved at once, and nothing typed is lost (PRODUCT.md §4,
// Settled questions "Sessions and tablets").
//
// Each item keeps at most two pending saves in localStorage, written BEFORE anything is sent:
//   sent – the save on its way (its save_id and base_version fixed, so a resend is a replay),
//   next – what the inspector changed since (sent when `sent` is answered).
// One save per item is in flight at a time, so an item's saves reach the server in order.
// Photos wait in IndexedDB (the Blob itself) until they are uploaded.
(function () {
  "use strict";

  var root = document.getElementById("checklist");
  if (!root) return;
  var checklistId = root.getAttribute("data-checklist-id");
  var editable = root.getAttribute("data-editable") === "true";
  // The indicator system's point step (0.5 or 0.1): points move and round by it.
  var pointStep = parseFloat(root.getAttribute("data-point-step")) || 0.5;
  var STORAGE_KEY = "pingyi:checklist:" + checklistId + ":queue";
  var TEXT_DELAY_MS = 600;
  var MAX_RETRY_MS = 30000;
  var MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  var MAX_PHOTO_SIDE = 2560;
  var PHOTO_QUALITY = 0.85;

  root.classList.add("js-on");
  // What the server last answered, kept beside the queue (static/outbox.js): a page opened from
  // the copy kept offline may be older than it.
  var outbox = window.pingyiOutbox || null;
  var isCopy = !!document.querySelector('meta[name="pingyi-offline-copy"]');

  function text(name, values) {
    var template = root.getAttribute("data-text-" + name) || "";
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values && values[key] !== undefined ? String(values[key]) : "";
    });
  }

  var newId = window.Pingyi.newId;
  var csrfToken = window.Pingyi.csrfToken;

  function formatNumber(n) {
    return String(Math.round(n * 10) / 10);
  }

  // ------------------------------------------------------------------ items

  function noteOf(card) {
    var note = card.querySelector(".note-input");
    return note ? note.defaultValue : "";
  }

  var items = {};  // indicator id → item
  Array.prototype.forEach.call(root.querySelectorAll(".item-card"), function (card) {
    var id = card.getAttribute("data-indicator-id");
    items[id] = {
      id: id,
      card: card,
      kind: card.getAttribute("data-kind"),
      max: parseFloat(card.getAttribute("data-max")) || 0,
      perOccurrence: parseFloat(card.getAttribute("data-per-occurrence")) || 1,
      version: parseInt(card.getAttribute("data-version"), 10) || 0,
      url: card.querySelector(".answer-form").getAttribute("action"),
      valueInput: card.querySelector(".value-input"),
      noteInput: card.querySelector(".note-input"),
      radios: card.querySelectorAll(".veto-choice input[type=radio]"),
      vetoSwitch: card.querySelector(".veto-switch"),
      vetoConfirm: card.querySelector(".veto-confirm-none"),
      state: card.querySelector(".item-state"),
      saved: { value: card.getAttribute("data-value") || "", note: noteOf(card) },
      inFlight: false,
      timer: null,
      problem: "",
      problemIsValue: false  // the problem is the value itself: it goes once the value is valid again
    };
  });

  // A value typed before this script ran (a tablet on a slow network shows the page before its
  // script arrives) differs from what the page was rendered with; looked at before anything here
  // changes a field. The answer forms are autocomplete="off", so the browser never puts an older
  // page's values back on its own.
  function typedBeforeStart(item) {
    if (item.valueInput && item.valueInput.value !== item.valueInput.defaultValue) return true;
    if (item.noteInput && item.noteInput.value !== item.noteInput.defaultValue) return true;
    return Array.prototype.some.call(item.radios, function (radio) { return radio.checked !== radio.defaultChecked; });
  }
  Object.keys(items).forEach(function (id) { items[id].typedEarly = typedBeforeStart(items[id]); });

  function currentValue(item) {
    if (item.kind === "veto") {
      var checked = item.card.querySelector(".veto-choice input:checked");
      return checked ? checked.value : "";
    }
    return item.valueInput ? item.valueInput.value.trim() : "";
  }

  function setValue(item, value) {
    value = value === null || value === undefined ? "" : String(value);
    if (item.kind === "veto") {
      Array.prototype.forEach.call(item.radios, function (radio) { radio.checked = radio.value === value; });
      showVeto(item);
    } else if (item.valueInput) {
      item.valueInput.value = value;
    }
  }

  function showVeto(item) {
    if (!item.vetoSwitch) return;
    var value = currentValue(item);
    item.vetoSwitch.setAttribute("aria-checked", value === "1" ? "true" : "false");
    item.vetoSwitch.querySelector(".switch-text").textContent =
      value === "1" ? text("triggered") : value === "0" ? text("not-triggered") : text("unanswered");
    if (item.vetoConfirm) item.vetoConfirm.hidden = value !== "" || !editable;
  }

  // Points as the server will compute them (inspections/checklists/scoring.py), shown before it answers.
  function localPoints(item, valueText) {
    if (valueText === "" || valueText === null || valueText === undefined) return null;
    var value = parseFloat(valueText);
    if (isNaN(value)) return null;
    if (item.kind === "veto") return 0;
    if (item.kind === "deduct") return Math.max(0, item.max - value * item.perOccurrence);
    return value;
  }

  // Whether the server will take this value (inspections/checklists/rules.py parse_value): used only
  // to clear a refusal of the value as soon as the value is valid again.
  function acceptable(item, valueText) {
    if (valueText === "") return true;
    var value = Number(String(valueText).replace("，", ".").replace("．", "."));
    if (isNaN(value)) return false;
    if (item.kind === "veto") return value === 0 || value === 1;
    if (item.kind === "deduct") return value >= 0 && value <= 999 && Math.floor(value) === value;
    var steps = value / pointStep;
    return value >= 0 && value <= item.max + 1e-9 && Math.abs(steps - Math.round(steps)) < 1e-6;
  }

  function clearValueProblem(item) {
    if (item.problem && item.problemIsValue && acceptable(item, currentValue(item))) {
      item.problem = "";
      item.problemIsValue = false;
      showPoints(item, localPoints(item, currentValue(item)));
      refreshItem(item);
    }
  }

  function showPoints(item, points) {
    item.card.setAttribute("data-points", points === null ? "" : formatNumber(points));
    var output = item.card.querySelector(".item-points");
    if (output) output.textContent = points === null ? "—" : formatNumber(points);
  }

  // ------------------------------------------------------------------ the queue in localStorage

  function loadQueue() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "{}");
      return stored && typeof stored === "object" ? stored : {};
    } catch (error) {
      return {};
    }
  }

  var queue = loadQueue();

  function persist() {
    var keys = Object.keys(queue);
    try {
      if (keys.length) window.localStorage.setItem(STORAGE_KEY, JSON.stringify(queue));
      else window.localStorage.removeItem(STORAGE_KEY);
    } catch (error) {
      // Storage full or refused (private mode): the saves still go out, they just would not survive a reload.
    }
  }

  // Whether the page shows something other than what is saved or already queued.
  function changed(item) {
    var entry = entryOf(item);
    var last = entry ? latest(entry) : item.saved;
    var note = item.noteInput ? item.noteInput.value : "";
    return !last || last.value !== currentValue(item) || last.note !== note;
  }

  function saveLater(item) {
    window.clearTimeout(item.timer);
    item.timer = window.setTimeout(function () {
      item.timer = null;
      if (changed(item)) enqueue(item);
      else {
        clearValueProblem(item);
        refreshBar();
      }
    }, TEXT_DELAY_MS);
    refreshBar();
  }

  function saveNow(item) {
    window.clearTimeout(item.timer);
    item.timer = null;
    enqueue(item);
  }

  function entryOf(item) {
    return queue[item.id] || null;
  }

  function latest(entry) {
    return entry.next || entry.sent;
  }

  // ------------------------------------------------------------------ showing the state

  var online = navigator.onLine !== false;
  var failing = false;
  var signedOut = false;

  function setItemState(item, state, message) {
    if (!item.state) return;
    item.state.setAttribute("data-state", state);
    var value = currentValue(item);
    var label;
    if (state === "saving") label = text("saving");
    else if (state === "pending") label = text("queued");
    else if (state === "conflict") label = text("conflict");
    else if (state === "error") label = message;
    else if (value === "") label = text("unanswered");
    else {
      label = text("saved");
      var points = item.card.getAttribute("data-points");
      if (item.kind !== "veto" && points !== "") label += " · " + text("value-score", { value: points });
    }
    item.state.textContent = label;
    item.card.classList.toggle("has-problem", state === "error" || state === "conflict");
  }

  function markAnswered(item) {
    item.card.classList.toggle("unanswered", currentValue(item) === "");
  }

  function refreshItem(item) {
    var entry = entryOf(item);
    if (item.problem) setItemState(item, "error", item.problem);
    else if (entry && entry.conflict) setItemState(item, "conflict");
    else if (entry && item.inFlight && !failing && !signedOut) setItemState(item, "saving");
    else if (entry) setItemState(item, "pending");
    else setItemState(item, currentValue(item) === "" ? "unanswered" : "saved");
    markAnswered(item);
  }

  function refreshBar() {
    var pending = 0, conflicts = 0, sending = false;
    // Typing not yet sent counts as not saved: "已保存" must never show before it is true.
    Object.keys(items).forEach(function (id) { if (items[id].timer) sending = true; });
    Object.keys(queue).forEach(function (id) {
      if (!items[id]) return;
      pending += 1;
      if (queue[id].conflict) conflicts += 1;
      if (items[id].inFlight) sending = true;
    });
    pending += pendingPhotos();
    var sync = document.getElementById("sync-state");
    var state, label;
    if (conflicts) { state = "conflict"; label = text("conflicts", { n: conflicts }); }
    else if (signedOut) { state = "signed-out"; label = text("pending", { n: pending }); }
    else if (pending && (failing || !online)) { state = "pending"; label = text("pending", { n: pending }); }
    else if (pending || sending) { state = "saving"; label = text("saving"); }
    else { state = "saved"; label = text("saved"); }
    if (sync.getAttribute("data-state") !== state || sync.textContent !== label) {
      sync.setAttribute("data-state", state);
      sync.textContent = label;
    }
    refreshScores(pending === 0);
    refreshNextUnanswered();
  }

  // The bar's figures: the server's from a save's answer once everything is saved, else computed
  // here from the values on the page (the same rules), so they move as the inspector works offline.
  // Only a save that was alone on the wire is trusted: answers to concurrent saves can arrive in
  // another order than the server stored them, and the last to arrive may not know the others.
  var serverScores = null;
  var savesOnTheWire = 0;

  function refreshScores(allSaved) {
    var answered = 0;
    Object.keys(items).forEach(function (id) { if (currentValue(items[id]) !== "") answered += 1; });
    document.getElementById("bar-answered").textContent = answered;
    var inspection = 0, bonus = 0, veto = false;
    Array.prototype.forEach.call(root.querySelectorAll(".category"), function (section) {
      var kind = section.getAttribute("data-kind");
      var max = parseFloat(section.getAttribute("data-max")) || 0;
      var sum = 0;
      Array.prototype.forEach.call(section.querySelectorAll(".item-card"), function (card) {
        var item = items[card.getAttribute("data-indicator-id")];
        var points = localPoints(item, currentValue(item));
        if (item.kind === "veto" && currentValue(item) === "1") veto = true;
        if (points !== null) sum += points;
      });
      var capped = Math.min(max, sum);
      var shown = section.querySelector(".category-points .points");
      if (shown) shown.textContent = formatNumber(capped);
      if (kind === "bonus") bonus += capped;
      else if (kind !== "veto") inspection += capped;
    });
    if (allSaved && serverScores) {
      inspection = parseFloat(serverScores.inspection);
      bonus = parseFloat(serverScores.bonus);
      veto = !!serverScores.veto;
      document.getElementById("bar-answered").textContent = serverScores.answered;
      document.getElementById("bar-total").textContent = serverScores.total;
    }
    document.getElementById("bar-inspection").textContent = formatNumber(inspection);
    document.getElementById("bar-bonus").textContent = formatNumber(bonus);
    var vetoCell = document.getElementById("bar-veto");
    vetoCell.textContent = veto ? text("veto-yes") : text("veto-none");
    vetoCell.classList.toggle("veto-on", veto);
    refreshSubmit(allSaved);
  }

  // The submit form is rendered with the count left at page load; once every item is answered
  // and saved, it may be used without reloading the page.
  function refreshSubmit(allSaved) {
    var form = document.querySelector("form[data-review-submit]");
    if (!form) return;
    var complete = allSaved &&
      document.getElementById("bar-answered").textContent === document.getElementById("bar-total").textContent;
    var button = form.querySelector("button[type=submit]");
    button.disabled = !complete;
    var left = form.querySelector(".submit-left");
    if (left) left.hidden = complete;
    var hint = document.getElementById("submit-hint");
    if (hint && hint.getAttribute("data-unanswered") !== "0") hint.hidden = complete;
  }

  function unansweredCards() {
    return Array.prototype.filter.call(root.querySelectorAll(".item-card"), function (card) {
      return card.classList.contains("unanswered");
    });
  }

  function refreshNextUnanswered() {
    var link = document.getElementById("next-unanswered");
    var left = unansweredCards();
    link.hidden = left.length === 0;
    if (left.length) link.setAttribute("href", "#" + left[0].id);
  }

  document.getElementById("next-unanswered").addEventListener("click", function (event) {
    var left = unansweredCards();
    if (!left.length) return;
    event.preventDefault();
    // The first unanswered card below the bar, else the first one from the top.
    var barBottom = document.getElementById("status-bar").getBoundingClientRect().bottom;
    var target = left.filter(function (card) { return card.getBoundingClientRect().top > barBottom + 8; })[0] || left[0];
    target.scrollIntoView({ block: "start" });
    var field = target.querySelector(".value-input, .veto-switch");
    if (field) field.focus({ preventScroll: true });
  });

  // ------------------------------------------------------------------ saving

  function enqueue(item) {
    var change = { value: currentValue(item), note: item.noteInput ? item.noteInput.value : "" };
    var entry = entryOf(item);
    if (!entry) {
      entry = queue[item.id] = { sent: null, next: null, conflict: null };
    }
    if (!entry.sent && !entry.conflict) {
      entry.sent = { save_id: newId(), base_version: item.version, value: change.value, note: change.note };
    } else {
      entry.next = change;
    }
    item.problem = "";
    item.problemIsValue = false;
    serverScores = null;
    persist();  // before anything is sent: a reload or a crash keeps it
    showPoints(item, localPoints(item, change.value));
    refreshItem(item);
    refreshBar();
    pump(item);
  }

  function pump(item) {
    var entry = entryOf(item);
    if (!entry || !entry.sent || entry.conflict || item.inFlight || signedOut) return;
    var save = entry.sent;
    var alone = savesOnTheWire === 0;
    savesOnTheWire += 1;
    item.inFlight = true;
    refreshItem(item);
    refreshBar();
    var body = new URLSearchParams();
    body.set("save_id", save.save_id);
    body.set("base_version", String(save.base_version));
    body.set("value", save.value);
    body.set("note", save.note);
    fetch(item.url, {
      method: "POST",
      headers: { "Accept": "application/json", "x-csrftoken": csrfToken() },
      body: body,
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        item.inFlight = false;
        savesOnTheWire -= 1;
        answered(item, save, response.status, data, alone && savesOnTheWire === 0);
      });
    }, function () {
      item.inFlight = false;
      savesOnTheWire -= 1;
      failed();
    });
  }

  function answered(item, save, status, data, trusted) {
    var entry = entryOf(item);
    if (!entry || entry.sent !== save) { refreshBar(); return; }
    if (status === 200) {
      succeeded();
      item.version = data.version;
      item.card.setAttribute("data-version", data.version);
      item.saved = { value: data.value === null ? "" : String(data.value), note: data.note || "" };
      if (outbox) outbox.known.saved(checklistId, item.id, data);
      showChanged(item, data.by, data.at);
      showStatus(data.checklist_status, data.checklist_status_label);
      serverScores = trusted ? data : null;
      entry.sent = null;
      if (entry.next) {
        entry.sent = { save_id: newId(), base_version: data.version, value: entry.next.value, note: entry.next.note };
        entry.next = null;
      } else {
        delete queue[item.id];
        showPoints(item, data.points === null ? null : parseFloat(data.points));
      }
      persist();
      refreshItem(item);
      refreshBar();
      pump(item);
    } else if (status === 409) {
      succeeded();
      entry.next = entry.next || { value: save.value, note: save.note };
      entry.sent = null;
      entry.conflict = { version: data.version, value: data.value, note: data.note || "", by: data.by || "", at: data.at || "" };
      persist();
      showConflict(item);
      refreshItem(item);
      refreshBar();
    } else if (status === 401) {
      signedOut = true;
      refreshItem(item);
      refreshBar();
      askToSignIn();
    } else if (status === 422 || status === 423 || status === 404) {
      succeeded();
      // Refused for good: dropped from the queue; a 422 leaves the typed value in place to correct.
      item.problem = data.message || data.detail || String(status);
      item.problemIsValue = status === 422;
      entry.sent = null;
      if (status === 422 && entry.next) {
        entry.sent = { save_id: newId(), base_version: item.version, value: entry.next.value, note: entry.next.note };
        entry.next = null;
        item.problem = "";
      } else {
        delete queue[item.id];
      }
      persist();
      refreshItem(item);
      refreshBar();
      pump(item);
    } else {
      failed();  // 5xx, 429, 403 (a stale token), anything else: kept and tried again
    }
  }

  // ------------------------------------------------------------------ retries

  var retryTimer = null;
  var retryDelay = 1000;

  function succeeded() {
    failing = false;
    retryDelay = 1000;
  }

  function failed() {
    failing = true;
    Object.keys(queue).forEach(function (id) { if (items[id]) refreshItem(items[id]); });
    refreshBar();
    scheduleRetry();
  }

  function scheduleRetry() {
    if (retryTimer) return;
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      flush();
    }, retryDelay);
    retryDelay = Math.min(MAX_RETRY_MS, retryDelay * 2);
  }

  function flush() {
    if (signedOut) return;
    Object.keys(queue).forEach(function (id) { if (items[id]) pump(items[id]); });
    flushPhotos();
  }

  window.addEventListener("online", function () {
    online = true;
    retryDelay = 1000;
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    flush();
    refreshBar();
  });
  window.addEventListener("offline", function () {
    online = false;
    refreshBar();
  });

  // ------------------------------------------------------------------ conflicts

  function describe(item, value) {
    if (value === null || value === undefined || value === "") return text("empty");
    if (item.kind === "veto") return String(value) === "1" ? text("triggered") : text("not-triggered");
    return text(item.kind === "deduct" ? "value-deduct" : "value-score", { value: value });
  }

  function showConflict(item) {
    var entry = entryOf(item);
    var box = item.card.querySelector(".conflict-box.live");
    if (!entry || !entry.conflict) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.className = "conflict-box live";
      box.setAttribute("role", "alert");
      item.card.querySelector(".answer-form").before(box);
    }
    var mine = latest(entry);
    var theirs = entry.conflict;
    box.textContent = "";
    // Both answers with both notes, each said even when empty: nothing of theirs goes unseen.
    [[text("mine"), mine.value, mine.note], [text("theirs", { by: theirs.by, at: theirs.at }), theirs.value, theirs.note]]
      .forEach(function (row) {
        var line = document.createElement("p");
        var label = document.createElement("span");
        label.textContent = row[0] + "：";
        var value = document.createElement("strong");
        value.textContent = describe(item, row[1]);
        line.append(label, value);
        var note = document.createElement("span");
        note.className = "conflict-note";
        note.textContent = " · " + text("note", { note: row[2] || text("no-note") });
        line.append(note);
        box.append(line);
      });
    // Keeping one's own answer keeps the other's note too, unless the inspector says otherwise here.
    if (theirs.note && mine.note.indexOf(theirs.note) < 0) {
      var keep = document.createElement("label");
      keep.className = "choice keep-their-note";
      var box2 = document.createElement("input");
      box2.type = "checkbox";
      box2.checked = true;
      box2.className = "keep-their-note-input";
      keep.append(box2, " " + text("keep-their-note", { by: theirs.by }));
      box.append(keep);
    }
    var actions = document.createElement("div");
    actions.className = "actions";
    var keepMine = document.createElement("button");
    keepMine.type = "button";
    keepMine.className = "primary keep-mine";
    keepMine.textContent = text("use-mine");
    keepMine.addEventListener("click", function () { useMine(item); });
    var takeTheirs = document.createElement("button");
    takeTheirs.type = "button";
    takeTheirs.className = "take-theirs";
    takeTheirs.textContent = text("use-theirs");
    takeTheirs.addEventListener("click", function () { useTheirs(item); });
    actions.append(keepMine, takeTheirs);
    box.append(actions);
  }

  function mergedNote(mine, theirs) {
    if (!theirs || mine.indexOf(theirs) >= 0) return mine;
    return mine ? mine + "\n" + theirs : theirs;
  }

  function useMine(item) {
    var entry = entryOf(item);
    if (!entry || !entry.conflict) return;
    var mine = latest(entry);
    var keepTheirs = item.card.querySelector(".keep-their-note-input");
    var note = keepTheirs && keepTheirs.checked ? mergedNote(mine.note, entry.conflict.note) : mine.note;
    if (item.noteInput) item.noteInput.value = note;
    item.version = entry.conflict.version;
    queue[item.id] = {
      sent: { save_id: newId(), base_version: entry.conflict.version, value: mine.value, note: note },
      next: null,
      conflict: null
    };
    persist();
    showConflict(item);
    refreshItem(item);
    refreshBar();
    pump(item);
  }

  function useTheirs(item) {
    var entry = entryOf(item);
    if (!entry || !entry.conflict) return;
    var theirs = entry.conflict;
    item.version = theirs.version;
    item.card.setAttribute("data-version", theirs.version);
    item.saved = { value: theirs.value === null ? "" : String(theirs.value), note: theirs.note };
    if (outbox) outbox.known.saved(checklistId, item.id, theirs);
    showChanged(item, theirs.by, theirs.at);
    delete queue[item.id];
    persist();
    setValue(item, theirs.value);
    if (item.noteInput) item.noteInput.value = theirs.note;
    showPoints(item, localPoints(item, theirs.value === null ? "" : String(theirs.value)));
    showConflict(item);
    refreshItem(item);
    refreshBar();
  }

  // ------------------------------------------------------------------ signing in again, in place

  var dialog = document.getElementById("signin-dialog");

  function askToSignIn() {
    if (!dialog || dialog.open) return;
    var error = document.getElementById("signin-error");
    error.hidden = true;
    if (dialog.showModal) dialog.showModal();
    else dialog.setAttribute("open", "");
    document.getElementById("signin-password").focus();
  }

  if (dialog) {
    document.getElementById("signin-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var body = new URLSearchParams();
      body.set("username", document.getElementById("signin-username").value);
      body.set("password", document.getElementById("signin-password").value);
      body.set("next", window.location.pathname);
      var error = document.getElementById("signin-error");
      // redirect: "manual": a 303 means signed in; following it would only fetch a page nobody reads.
      fetch("/staff/login", {
        method: "POST",
        headers: { "x-csrftoken": csrfToken() },
        body: body,
        credentials: "same-origin",
        redirect: "manual"
      }).then(function (response) {
        if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
          document.getElementById("signin-password").value = "";
          dialog.close();
          signedOut = false;
          succeeded();
          refreshBar();
          flush();
          return null;
        }
        return response.text().then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var alert = page.querySelector("main .alert");
          error.textContent = alert ? alert.textContent.trim() : text("sign-in-failed");
          error.hidden = false;
        });
      }, function () {
        error.textContent = text("offline");
        error.hidden = false;
      });
    });
    dialog.addEventListener("cancel", function (event) {
      // Closing it would leave the changes stuck: it stays until the inspector signs in.
      event.preventDefault();
    });
  }

  // ------------------------------------------------------------------ photos, queued in IndexedDB

  var photoDb = null;
  var photosWaiting = {};  // upload id → record (also kept here when IndexedDB is unavailable)
  var photosSending = {};

  function pendingPhotos() {
    return Object.keys(photosWaiting).length;
  }

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

  function photoStore(mode) {
    return photoDb.transaction("photos", mode).objectStore("photos");
  }

  function keepPhoto(record) {
    photosWaiting[record.upload_id] = record;
    if (!photoDb) return Promise.resolve();
    return new Promise(function (resolve) {
      var transaction = photoDb.transaction("photos", "readwrite");
      transaction.objectStore("photos").put(record);
      transaction.oncomplete = function () { resolve(); };
      transaction.onerror = function () { resolve(); };
    });
  }

  function forgetPhoto(uploadId) {
    delete photosWaiting[uploadId];
    if (photoDb) photoStore("readwrite").delete(uploadId);
  }

  function storedPhotos() {
    if (!photoDb) return Promise.resolve([]);
    return new Promise(function (resolve) {
      var request = photoStore("readonly").getAll();
      request.onsuccess = function () { resolve(request.result || []); };
      request.onerror = function () { resolve([]); };
    });
  }

  function photoFigure(item, record) {
    var li = document.createElement("li");
    li.className = "photo pending";
    li.setAttribute("data-upload-id", record.upload_id);
    var img = document.createElement("img");
    img.src = URL.createObjectURL(record.blob);
    img.alt = text("photo-alt", { name: record.name });
    img.width = 96;
    img.height = 96;
    var state = document.createElement("span");
    state.className = "photo-state";
    state.textContent = text("photo-pending");
    li.append(img, state);
    item.card.querySelector(".photo-list").append(li);
    return li;
  }

  function storedFigure(item, data, li, uploadId) {
    var stored = document.createElement("li");
    stored.className = "photo";
    stored.setAttribute("data-evidence-id", data.id);
    stored.setAttribute("data-upload-id", uploadId || data.upload_id || "");
    var link = document.createElement("a");
    link.href = data.url;
    var img = document.createElement("img");
    img.src = data.url;
    img.alt = text("photo-alt", { name: data.original_name });
    img.width = 96;
    img.height = 96;
    link.append(img);
    var form = document.createElement("form");
    form.className = "photo-delete";
    form.method = "post";
    form.action = "/inspect/evidence/" + data.id + "/delete";
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "danger small";
    button.textContent = text("delete");
    form.append(button);
    stored.append(link, form);
    if (li) {
      var old = li.querySelector("img");
      if (old) URL.revokeObjectURL(old.src);
      li.replaceWith(stored);
    } else {
      item.card.querySelector(".photo-list").append(stored);
    }
  }

  function uploadPhoto(record) {
    var item = items[record.indicator_id];
    if (!item || photosSending[record.upload_id] || signedOut) return;
    var li = item.card.querySelector('[data-upload-id="' + record.upload_id + '"]');
    photosSending[record.upload_id] = true;
    if (li) li.querySelector(".photo-state").textContent = text("photo-uploading");
    var body = new FormData();
    body.append("upload_id", record.upload_id);
    body.append("photo", record.blob, record.name);
    fetch(item.url + "/photos", {
      method: "POST",
      headers: { "Accept": "application/json", "x-csrftoken": csrfToken() },
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        delete photosSending[record.upload_id];
        if (response.status === 200) {
          succeeded();
          forgetPhoto(record.upload_id);
          if (outbox) outbox.known.photo(checklistId, item.id, data, record.upload_id);
          // Stored before (its answer was lost on the way): the page may show it already.
          if (item.card.querySelector('.photo[data-evidence-id="' + data.id + '"]')) {
            if (li) li.remove();
          } else {
            storedFigure(item, data, li, record.upload_id);
          }
        } else if (response.status === 401) {
          signedOut = true;
          askToSignIn();
          if (li) li.querySelector(".photo-state").textContent = text("photo-pending");
        } else if (response.status === 422 || response.status === 423 || response.status === 404 ||
                   response.status === 413) {
          succeeded();
          forgetPhoto(record.upload_id);
          if (li) li.remove();
          // A 413 may come from a proxy in front of the app, in its own words: the page says it in its own.
          item.problem = response.status === 413 ? text("photo-too-big") : (data.message || data.detail || String(response.status));
          refreshItem(item);
        } else {
          if (li) li.querySelector(".photo-state").textContent = text("photo-pending");
          failed();
        }
        refreshBar();
      });
    }, function () {
      delete photosSending[record.upload_id];
      if (li) li.querySelector(".photo-state").textContent = text("photo-pending");
      failed();
    });
  }

  function flushPhotos() {
    Object.keys(photosWaiting).forEach(function (uploadId) { uploadPhoto(photosWaiting[uploadId]); });
  }

  // A camera's photo is often over 10 MB: scaled here to at most MAX_PHOTO_SIDE on its longest side,
  // as a JPEG, turned as the camera meant it (its EXIF orientation applied to the pixels, since the
  // new file has no EXIF). A photo already small enough, in a type the server takes, goes as it is.
  function prepared(file) {
    var name = file.name || "photo.jpg";
    var fine = /^image\/(jpeg|png|webp)$/.test(file.type) && file.size <= MAX_PHOTO_BYTES;
    if (!window.createImageBitmap) return Promise.resolve({ blob: file, name: name, type: file.type });
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var longest = Math.max(bitmap.width, bitmap.height);
      if (fine && longest <= MAX_PHOTO_SIDE) {
        bitmap.close();
        return { blob: file, name: name, type: file.type };
      }
      var scale = Math.min(1, MAX_PHOTO_SIDE / longest);
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? { blob: blob, name: name.replace(/\.[^.]*$/, "") + ".jpg", type: "image/jpeg" }
                       : { blob: file, name: name, type: file.type });
        }, "image/jpeg", PHOTO_QUALITY);
      });
    }, function () {
      return { blob: file, name: name, type: file.type };  // not a picture this browser reads: the server says why
    });
  }

  function photoChosen(item, input) {
    var files = Array.prototype.slice.call(input.files || []);
    input.value = "";
    files.forEach(function (file) {
      prepared(file).then(function (photo) { queuePhoto(item, photo); });
    });
  }

  function queuePhoto(item, photo) {
    {
      if (photo.blob.size > MAX_PHOTO_BYTES) {
        item.problem = text("photo-too-big");
        refreshItem(item);
        return;
      }
      var record = {
        upload_id: newId(),
        checklist_id: checklistId,
        indicator_id: item.id,
        name: photo.name,
        type: photo.type,
        blob: photo.blob,
        created: Date.now()
      };
      item.problem = "";
      var li = photoFigure(item, record);
      // In IndexedDB before the upload starts: a reload or a lost network keeps the photo.
      keepPhoto(record).then(function () {
        if (!li.isConnected) return;
        refreshBar();
        uploadPhoto(record);
      });
    }
  }

  function deletePhoto(form) {
    var li = form.closest(".photo");
    var item = items[form.closest(".item-card").getAttribute("data-indicator-id")];
    fetch(form.action, {
      method: "POST",
      headers: { "Accept": "application/json", "x-csrftoken": csrfToken() },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 200 || response.status === 404) {
          if (outbox) outbox.known.photoDeleted(checklistId, li.getAttribute("data-evidence-id"));
          li.remove();
        } else if (response.status === 401) {
          signedOut = true;
          askToSignIn();
        } else {
          item.problem = data.message || text("delete-failed");
          refreshItem(item);
        }
      });
    }, function () {
      item.problem = text("delete-failed");
      refreshItem(item);
    });
  }

  // ------------------------------------------------------------------ who changed it, the status

  function showChanged(item, by, at) {
    var line = item.card.querySelector(".item-changed");
    if (!line || !at) return;
    line.textContent = text("changed", { by: by || "", at: at });
    line.hidden = false;
  }

  // The first save starts the checklist: the header says so at once, not after a reload.
  function showStatus(status, label) {
    if (!status || !label) return;
    Array.prototype.forEach.call(document.querySelectorAll(".checklist-status, #checklist-status"), function (el) {
      if (el.getAttribute("data-status") === status) return;
      el.textContent = label;
      el.setAttribute("data-status", status);
      el.className = el.className.replace(/\bstatus-[a-z_]+/, "status-" + status);
    });
  }

  // What the server answered since the copy of this page was kept (saves and photos sent from this
  // page or another, static/outbox.js), and refusals met while the checklist was not open.
  function applyKnown() {
    if (!outbox) return;
    var known = outbox.known.read(checklistId);
    Object.keys(known.items).forEach(function (id) {
      var item = items[id], after = known.items[id];
      if (!item || after.version <= item.version) {
        delete known.items[id];  // the page knows it already
        return;
      }
      item.version = after.version;
      item.card.setAttribute("data-version", after.version);
      item.saved = { value: after.value, note: after.note };
      setValue(item, after.value);
      if (item.noteInput) item.noteInput.value = after.note;
      showPoints(item, localPoints(item, after.value));
      showChanged(item, after.by, after.at);
    });
    if (known.status && isCopy) showStatus(known.status, known.status_label);
    else delete known.status;
    if (isCopy) {
      Object.keys(known.photos).forEach(function (id) {
        if (!items[id]) return;
        known.photos[id].forEach(function (photo) {
          if (root.querySelector('.photo[data-evidence-id="' + photo.id + '"]')) return;
          storedFigure(items[id], { id: photo.id, url: photo.url, original_name: photo.name }, null, photo.upload_id);
        });
      });
      known.deleted.forEach(function (evidenceId) {
        var gone = root.querySelector('.photo[data-evidence-id="' + evidenceId + '"]');
        if (gone) gone.remove();
      });
    } else {
      known.photos = {};  // the page comes from the server: it has them all
      known.deleted = [];
    }
    outbox.known.forget(checklistId, known);
    var refused = outbox.problems.read(checklistId);
    Object.keys(refused).forEach(function (id) {
      if (items[id]) items[id].problem = refused[id];
    });
    outbox.problems.clear(checklistId);
  }

  // Typing not yet queued, for the warning before signing out (static/outbox.js).
  window.pingyiChecklistUnsaved = function () {
    return Object.keys(items).filter(function (id) { return items[id].timer; }).length;
  };

  applyKnown();

  // ------------------------------------------------------------------ wiring the cards

  function stepValue(item, step) {
    var current = parseFloat(currentValue(item));
    var next;
    if (isNaN(current)) next = step > 0 ? (item.kind === "deduct" ? 1 : step) : 0;
    else next = current + step;
    var top = item.kind === "deduct" ? 999 : item.max;
    next = Math.min(top, Math.max(0, next));
    if (item.kind !== "deduct") next = Math.round(next / pointStep) * pointStep;
    setValue(item, formatNumber(next));
  }

  Object.keys(items).forEach(function (id) {
    var item = items[id];
    var entry = entryOf(item);
    var form = item.card.querySelector(".answer-form");
    if (item.kind === "veto") {
      item.card.querySelector(".veto-switch-row").hidden = false;
      showVeto(item);
    }
    // Restored from the queue over the server's values: the inspector's latest work wins on screen.
    if (entry) {
      var shown = latest(entry);
      if (shown) {
        setValue(item, shown.value);
        if (item.noteInput) item.noteInput.value = shown.note;
        showPoints(item, localPoints(item, shown.value));
      }
      if (entry.conflict) showConflict(item);
    }
    refreshItem(item);
    if (!editable) return;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      saveNow(item);
    });
    Array.prototype.forEach.call(item.card.querySelectorAll(".step"), function (button) {
      button.addEventListener("click", function () {
        stepValue(item, parseFloat(button.getAttribute("data-step")));
        saveNow(item);
      });
    });
    if (item.valueInput) {
      item.valueInput.addEventListener("input", function () {
        clearValueProblem(item);
        saveLater(item);
      });
      item.valueInput.addEventListener("change", function () {
        if (changed(item)) saveNow(item);
      });
    }
    if (item.vetoSwitch) {
      item.vetoSwitch.addEventListener("click", function () {
        setValue(item, currentValue(item) === "1" ? "0" : "1");
        saveNow(item);
      });
      item.vetoConfirm.addEventListener("click", function () {
        setValue(item, "0");
        saveNow(item);
        item.vetoSwitch.focus();
      });
    }
    if (item.noteInput) {
      item.noteInput.addEventListener("input", function () { saveLater(item); });
    }
    var photoInput = item.card.querySelector(".photo-input");
    if (photoInput) {
      photoInput.addEventListener("change", function () { photoChosen(item, photoInput); });
    }
    if (item.typedEarly && !entry && changed(item)) saveNow(item);
    item.card.addEventListener("submit", function (event) {
      if (event.target.classList.contains("photo-delete")) {
        event.preventDefault();
        deletePhoto(event.target);
      } else if (event.target.classList.contains("photo-form")) {
        event.preventDefault();
        if (photoInput) photoChosen(item, photoInput);
      }
    });
  });

  // Changes typed in the last moments before leaving are queued, not dropped.
  window.addEventListener("pagehide", function () {
    Object.keys(items).forEach(function (id) {
      var item = items[id];
      if (item.timer) saveNow(item);
    });
  });

  refreshBar();
  flush();
  openPhotoDb().then(function (db) {
    photoDb = db;
    return storedPhotos();
  }).then(function (records) {
    records.forEach(function (record) {
      if (String(record.checklist_id) !== String(checklistId) || !items[record.indicator_id]) return;
      // Stored already, its answer lost on the way: shown once, from the server, and never sent again.
      if (root.querySelector('.photo[data-upload-id="' + record.upload_id + '"]:not(.pending)')) {
        forgetPhoto(record.upload_id);
        return;
      }
      photosWaiting[record.upload_id] = record;
      photoFigure(items[record.indicator_id], record);
    });
    refreshBar();
    flushPhotos();
  });
})();
