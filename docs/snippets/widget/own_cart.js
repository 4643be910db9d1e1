// A shop with a cart drawer of its own: add with its own call, and keep the page.
document.addEventListener("tryon:add_to_cart", function (event) {
  event.preventDefault(); // the widget doesn't send the form
  var form = event.target.querySelector("[data-tryon-cart]");
  fetch(form.action, { method: "POST", body: new FormData(form) }).then(function () {
    document.dispatchEvent(new CustomEvent("cart:changed")); // e.g. open your mini cart
  });
});
