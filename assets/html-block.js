/* HtmlBlock (layouts/html_block.py): HTML built and escaped on the server, drawn as one element.
 * A click on a link marked data-page-link opens its page in place, as dcc.Link does: push the address and tell
 * dcc.Location, which listens for "_dashprivate_pushstate". Clicks with a modifier key (new tab, new window) and
 * links to another target keep the browser's own behaviour. */
(function () {
  "use strict";

  function openInPlace(event) {
    if (event.defaultPrevented || event.button !== 0 ||
        event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    var link = event.target.closest ? event.target.closest("a[data-page-link]") : null;
    if (!link || !event.currentTarget.contains(link) || (link.target && link.target !== "_self")) {
      return;
    }
    event.preventDefault();
    window.history.pushState({}, "", link.getAttribute("href"));
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    window.scrollTo(0, 0);
  }

  function HtmlBlock(props) {
    return window.React.createElement("div", {
      id: props.id,
      className: props.className,
      onClick: openInPlace,
      dangerouslySetInnerHTML: {__html: props.html || ""}
    });
  }

  window.recoverystat = Object.assign(window.recoverystat || {}, {HtmlBlock: HtmlBlock});
})();
