// Only what hypermedia cannot do. Loaded after htmx (both deferred).
(function () {
  "use strict";
  // The CSRF token is renewed at every sign-in (it belongs to one session): send the current one,
  // so a page loaded before signing in again in another tab keeps working.
  document.addEventListener("htmx:configRequest", function (event) {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { event.detail.headers["x-csrftoken"] = decodeURIComponent(match[1]); }
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
