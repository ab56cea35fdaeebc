// Web Push: show each message as a notification (one per meeting: its tag replaces the older one)
// and open the thing itself when it is tapped (an in-app path only).
const PUSH_ICON = {{ url_for("static", filename="icons/icon-192.png")|tojson }};
function inAppPath(value) {
  return (typeof value === "string" && value.startsWith("/") && !value.startsWith("//") && !value.includes("\\")) ? value : "/inbox/";
}
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { title: event.data ? event.data.text() : "" }; }
  const options = { body: String(data.body || ""), icon: PUSH_ICON, badge: PUSH_ICON, lang: "zh-CN",
                    data: { url: inAppPath(data.url) } };
  if (data.tag) { options.tag = String(data.tag); options.renotify = true; }
  event.waitUntil(self.registration.showNotification(String(data.title || {{ _("ServiceCircle")|tojson }}), options));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(inAppPath(event.notification.data && event.notification.data.url), self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
    const same = windows.find((w) => w.url === url);
    if (same) return same.focus();
    const any = windows.find((w) => "navigate" in w);
    if (any) return any.navigate(url).then((w) => (w || any).focus());
    return self.clients.openWindow(url);
  }));
});
