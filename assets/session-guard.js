/* When the server refuses a page's update because the session ended (401) or the role no longer allows it (403),
   say so in the page's alert area and leave every field as it is, instead of letting Dash's renderer fail on the
   error response. The server still refuses: this only turns its answer into words. */
(function () {
  "use strict";
  var UPDATE = "/_dash-update-component";
  var originalFetch = window.fetch.bind(window);

  function showMessage(status) {
    var box = document.getElementById("pub-app-alert");
    if (!box) { return; }
    var here = window.location.pathname + window.location.search;
    var alert = document.createElement("div");
    alert.className = "alert alert-warning mb-3";
    alert.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.className = "mb-2";
    var link = document.createElement("a");
    if (status === 401) {
      text.textContent = "You are no longer signed in, so nothing was saved or loaded. Everything you typed is " +
        "still on this page: sign in again in a new tab, then come back here and press the button again.";
      link.href = "/login?next=" + encodeURIComponent(here);
      link.textContent = "Sign in again (opens a new tab)";
      link.target = "_blank";
      link.rel = "noopener";
    } else {
      text.textContent = "Your account may not do this (your role may have changed), so nothing was saved. " +
        "Everything you typed is still on this page.";
      link.href = "/";
      link.textContent = "Go to the progress page";
    }
    link.className = "alert-link";
    alert.appendChild(text);
    alert.appendChild(link);
    box.replaceChildren(alert);
  }

  window.fetch = function (resource, init) {
    var url = typeof resource === "string" ? resource : (resource && resource.url) || "";
    var promise = originalFetch(resource, init);
    if (url.indexOf(UPDATE) === -1) { return promise; }
    return promise.then(function (response) {
      if (response.status !== 401 && response.status !== 403) { return response; }
      showMessage(response.status);
      // 204 is Dash's "no update": nothing on the page changes and nothing typed is lost.
      return new Response(null, { status: 204, statusText: "No Content" });
    });
  };
}());
