/* dash-ag-grid's bundle (1.3 MB, about a tenth of a second of a phone's time to run) is needed by one staff page,
 * the monthly entry grid. app.py keeps it out of every page's head and names its address in
 * <meta name="recoverystat-grid-script">; this stand-in answers to Dash for dash_ag_grid.AgGrid, fetches the bundle
 * the first time a grid is drawn, and from then on draws the real grid with the same props. Dash's own names stay
 * pointed at the stand-in, so a grid already on the page is never swapped out (and an edit in progress never lost).
 * The bundle finds its lazily loaded parts (async-community.js) from its own address, as it does from a <script> in
 * the head. */
(function () {
  "use strict";
  var React = window.React;
  var standIn = {};
  var realGrid = null;
  var loading = null;

  function load() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var meta = document.querySelector('meta[name="recoverystat-grid-script"]');
        var script = document.createElement("script");
        script.src = meta ? meta.getAttribute("content") : "";
        script.onload = function () {
          var real = window.dash_ag_grid;
          window.dash_ag_grid = standIn;
          if (!real || real === standIn || !real.AgGrid) {
            reject(new Error("the grid's code did not load"));
            return;
          }
          Object.keys(real).forEach(function (name) {  // getApi and the like, for clientside code
            if (name !== "AgGrid") { standIn[name] = real[name]; }
          });
          realGrid = real.AgGrid;
          resolve(realGrid);
        };
        script.onerror = function () {
          loading = null;  // a later grid tries again
          reject(new Error("the grid's code could not be fetched"));
        };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function AgGrid(props) {
    var state = React.useState(realGrid ? "ready" : "loading");
    var status = state[0];
    var setStatus = state[1];
    React.useEffect(function () {
      if (realGrid) { return undefined; }
      var live = true;
      load().then(function () { if (live) { setStatus("ready"); } },
                  function () { if (live) { setStatus("failed"); } });
      return function () { live = false; };
    }, []);
    if (status === "ready" && realGrid) {
      return React.createElement(realGrid, props);
    }
    return React.createElement("div", {id: props.id, className: props.className, style: props.style, role: "status"},
      status === "failed"
        ? "The grid could not be loaded. Reload the page to try again, or enter figures one at a time with the form "
          + "below."
        : "Loading the grid…");
  }

  standIn.AgGrid = AgGrid;
  window.dash_ag_grid = standIn;
})();
