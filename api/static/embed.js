// Draws the embedded measure's chart from the figure the server wrote into the page (no inline script: the page's
// Content-Security-Policy allows scripts from this server only).
(function () {
  "use strict";
  var data = document.getElementById("chart-data");
  var target = document.getElementById("chart");
  if (!data || !target || !window.Plotly) {
    return;
  }
  var figure = JSON.parse(data.textContent);
  window.Plotly.newPlot(target, figure.data, figure.layout, {displayModeBar: false, responsive: true});
})();
