/* plotly.js is loaded only by pages that draw a chart. dcc.Graph fetches it from window._dashPlotlyJSURL the first
   time a graph is drawn (when window.Plotly is not there yet); pin that address to the vendored partial bundle
   (app.py keeps the bundle out of every page's head), never Dash's full 1.4 MB bundle. The public progress page
   draws no plotly chart (its sparklines are SVG images), so it loads no plotly.js at all. */
(function () {
  "use strict";
  var BUNDLE = "/assets/plotly-basic-4.1.1.min.js";  // api/embed.py names the same file
  Object.defineProperty(window, "_dashPlotlyJSURL", {
    configurable: true,
    get: function () { return BUNDLE; },
    set: function () { /* Dash's renderer sets its own bundle's address on start: keep ours */ },
  });
})();
