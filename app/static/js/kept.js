/* Saves the server confirmed: the page names the keys (meta eduaudit-saved) of the input a form kept
   in this browser while it was being sent (see steps.js); the copy is no longer needed. */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="eduaudit-saved"]');
  if (!meta) { return; }
  meta.getAttribute("content").split(" ").forEach(function (key) {
    if (!key) { return; }
    try { window.localStorage.removeItem(key); } catch (e) { /* storage disabled: nothing was kept */ }
  });
}());
