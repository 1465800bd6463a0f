// The inspector's pages with no network (PRODUCT.md §4: on site, the network is often absent for
// a whole visit). Served as /inspect/sw.js with the scope /inspect.
//
// - Pages (/inspect, each checklist, the offline notice): from the network while it answers, and
//   then kept; from the kept copy when it does not, marked as a copy with the time it was kept
//   (outbox.js says so on the page). A checklist is kept when it is opened, or downloaded from
//   the list (outbox.js puts it in the same cache, in the same form).
// - Static files carry their content's hash in the address: once kept, always good.
// - Photos already stored (/inspect/evidence/N) never change either.
// Nothing is sent from here: saves and photos wait in the page's storage and go out from the
// pages (checklist.js, outbox.js), which see the answers and can ask to sign in again.
"use strict";

var PAGES = "pingyi-pages-v1";
var STATIC = "pingyi-static-v1";
var KEPT_AT = "x-pingyi-kept-at";
var NETWORK_WAIT_MS = 6000;  // a network that does not answer is, for the inspector, no network
var OFFLINE_PAGE = "/inspect/offline";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("pingyi-") === 0 && name !== PAGES && name !== STATIC;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function isPage(url) {
  if (url.search && !/^\?done=\w+$/.test(url.search)) return false;  // a refusal shown once is no copy
  return url.pathname === "/inspect" || url.pathname === OFFLINE_PAGE ||
    /^\/inspect\/checklists\/\d+$/.test(url.pathname);
}

// The page as kept: its body, and when it was kept.
function keep(path, response) {
  return response.clone().blob().then(function (body) {
    var headers = new Headers(response.headers);
    headers.set(KEPT_AT, new Date().toISOString());
    return caches.open(PAGES).then(function (cache) {
      return cache.put(path, new Response(body, { status: 200, statusText: "OK", headers: headers }));
    });
  });
}

// A kept page says it is a copy, and since when: outbox.js shows it.
function marked(kept) {
  var at = kept.headers.get(KEPT_AT) || "";
  return kept.text().then(function (html) {
    var meta = '<meta name="pingyi-offline-copy" content="' + at.replace(/[^0-9TZ:.\-]/g, "") + '">';
    var headers = new Headers(kept.headers);
    headers.delete("content-length");
    return new Response(html.replace("<head>", "<head>" + meta), { status: 200, headers: headers });
  });
}

function fromNetwork(request) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("no answer")); }, NETWORK_WAIT_MS);
    fetch(request).then(function (response) {
      clearTimeout(timer);
      resolve(response);
    }, function (error) {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function page(event, url) {
  var path = url.pathname;
  return fromNetwork(event.request).then(function (response) {
    // Only the page itself: not a redirect to the sign-in page, not an error page.
    var isHtml = (response.headers.get("content-type") || "").indexOf("text/html") === 0;
    if (response.type === "basic" && response.status === 200 && !response.redirected && isHtml) {
      event.waitUntil(keep(path, response));
    }
    return response;
  }, function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(path).then(function (kept) {
        if (kept) return marked(kept);
        return cache.match(OFFLINE_PAGE).then(function (notice) {
          return notice ? marked(notice) : Response.error();
        });
      });
    });
  });
}

function keptFirst(request, cacheName) {
  return caches.open(cacheName).then(function (cache) {
    return cache.match(request).then(function (kept) {
      if (kept) return kept;
      return fetch(request).then(function (response) {
        if (response.type === "basic" && response.status === 200) cache.put(request, response.clone());
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0 && url.search) {
    event.respondWith(keptFirst(request, STATIC));
  } else if (/^\/inspect\/evidence\/\d+$/.test(url.pathname)) {
    event.respondWith(keptFirst(request, PAGES));
  } else if (request.mode === "navigate" && isPage(url)) {
    event.respondWith(page(event, url));
  }
});
