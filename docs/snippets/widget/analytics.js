// The widget's events bubble to the document; event.detail holds the garment id, the
// product ("app_label.model:pk") and, for the page only, the job's token.
["tryon:open", "tryon:submit", "tryon:success", "tryon:error", "tryon:download", "tryon:delete",
 "tryon:add_to_cart"]
  .forEach(function (name) {
    document.addEventListener(name, function (event) {
      console.log(name, event.detail); // e.g. send it to your analytics
    });
  });
