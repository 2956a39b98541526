/* Portail Famille: our own script (htmx does the rest). No inline script anywhere. */
document.addEventListener("htmx:afterSwap", function (event) {
  // Move focus to a swapped region that asks for it, for screen-reader users.
  var target = event.detail.target;
  if (target && target.hasAttribute && target.hasAttribute("data-focus-after-swap")) {
    target.focus();
  }
});
