// Only what hypermedia cannot do. Loaded after htmx (both deferred).
(function () {
  "use strict";
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
