// ServiceCircle service worker, shell version {{ version }}.
// Caches the app shell and static files; pages with personal data are never cached.
const VERSION = "{{ version }}";
const SHELL_CACHE = "sc-shell-" + VERSION;
const OFFLINE_URL = "{{ offline_url }}";
const SHELL = {{ (shell + [offline_url])|tojson }};
// Features add pages that work without network: [path prefix, cached page], and an offline kit
// (the files and pages they need), cached when one of the feature's pages asks for it, once it has
// loaded (app.js, <meta name="sc-offline-kit">): a first visit elsewhere downloads none of it.
const OFFLINE_PAGES = [];
const KITS = {};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("message", (event) => {
  const kit = KITS[event.data && event.data.kit];
  if (!kit) return;
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => Promise.all(kit.map((url) =>
    cache.match(url).then((hit) => hit || cache.add(url).catch(() => null))))));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("sc-") && k !== SHELL_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Network only for pages; the offline page when the network is gone.
    event.respondWith(fetch(request).catch(() => caches.match(offlinePageFor(url.pathname))
      .then((hit) => hit || caches.match(OFFLINE_URL))));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // Static files: cache first, filled on first use.
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(SHELL_CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      }))
    );
  }
});

function offlinePageFor(path) {
  const hit = OFFLINE_PAGES.find((page) => path.startsWith(page[0]));
  return hit ? hit[1] : OFFLINE_URL;
}

{% block sw_extra %}{% endblock %}
{% include "checkin/_sw.js" ignore missing %}
{% include "notify/_sw.js" ignore missing %}
