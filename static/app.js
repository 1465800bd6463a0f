// Only what hypermedia cannot do. Loaded after htmx (both deferred).
(function () {
  "use strict";
  // What the other scripts of the app share (checklist.js, outbox.js load after this one).
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  window.Pingyi = { csrfToken: csrfToken, newId: newId };
  // The CSRF token is renewed at every sign-in (it belongs to one session): send the current one,
  // so a page loaded before signing in again in another tab keeps working.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) { event.detail.headers["x-csrftoken"] = token; }
  });
  // Tell the user when a request never reached the server, instead of failing silently.
  document.addEventListener("htmx:sendError", function () {
    var banner = document.getElementById("network-error");
    if (!banner) {
      banner = document.createElement("p");
      banner.id = "network-error";
      banner.className = "offline-banner";
      banner.setAttribute("role", "alert");
      document.body.appendChild(banner);
    }
    banner.textContent = document.documentElement.lang === "en"
      ? "Network connection failed. Please try again."
      : "网络连接失败，请稍后重试。";
  });
})();
// Moderation: once a comment is decided in place, the keyboard goes on to the next comment's
// first button, so a clerk decides a queue without reaching for the mouse (or losing the place).
document.addEventListener("htmx:afterSettle", function () {
  var decided = document.querySelector(".moderation-row[data-focus-next]");
  if (!decided) { return; }
  decided.removeAttribute("data-focus-next");
  var next = decided.nextElementSibling;
  var button = next && next.querySelector(".actions button");
  if (button) { button.focus(); }
});
