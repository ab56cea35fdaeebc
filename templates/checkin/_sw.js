// Check-in without network: the 签到 tab falls back to a scanner page with no personal data,
// which keeps scans in IndexedDB until the network returns. Its kit is cached when the 签到 tab
// has been opened once online. (The decoder's worker module is imported by the library without a
// version query, hence v=None.)
OFFLINE_PAGES.push(["/checkin/", {{ url_for("checkin.offline_scan")|tojson }}]);
OFFLINE_PAGES.push(["/c/", {{ url_for("checkin.offline_scan")|tojson }}]);  // a code opened by the camera app
KITS.checkin = {{ [
  url_for("checkin.offline_scan"),
  url_for("static", filename="js/checkin.js"),
  url_for("static", filename="js/checkin-offline.js"),
  url_for("static", filename="js/checkin-scanner.js"),
  url_for("static", filename="vendor/qr-scanner.umd.min.js"),
  url_for("static", filename="vendor/qr-scanner-worker.min.js", v=None),
]|tojson }};
