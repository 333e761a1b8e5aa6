// "Print / Save as PDF" on the Stat briefing: a plain button (the content security policy forbids inline scripts).
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target && target.closest && target.closest(".js-print")) {
    window.print();
  }
});
