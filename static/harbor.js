/* Harbor's page behaviour, from a file: the Content-Security-Policy allows no inline
   script and no on*="" attributes, so a page marks an element and this file binds it.

   data-print   a button that prints the page (the MDT packet).
*/
"use strict";

document.addEventListener("click", function (event) {
  const target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (target) {
    event.preventDefault();
    window.print();
  }
});
