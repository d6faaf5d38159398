// The coupon form, served as a file so the pages' Content-Security-Policy
// allows no inline script.
// The server shows the chosen kind's sections, the chosen benefit type's fields
// and — for the kinds whose audience is fixed — a note instead of the audience
// choice (the list's menu opens each kind's own form); this follows a change
// of kind or type without a round trip.
(function () {
  var kind = document.getElementById("kind");
  function show() {
    document.querySelectorAll("fieldset[data-kind]").forEach(function (f) {
      f.hidden = f.dataset.kind !== kind.value;
    });
    var fixed = ["new_customer", "follower", "member"].indexOf(kind.value) >= 0;
    document.querySelectorAll(".audience-fixed").forEach(function (p) {
      p.hidden = !fixed;
    });
    document.querySelectorAll(".audience-choice").forEach(function (l) {
      l.hidden = fixed;
    });
    var chosen = document.querySelector("input[name='benefit.type']:checked");
    document.querySelectorAll(".benefit-fields").forEach(function (d) {
      d.hidden = chosen !== null && d.dataset.benefit !== chosen.value;
    });
  }
  kind.addEventListener("change", show);
  document.querySelectorAll("input[name='benefit.type']").forEach(function (b) {
    b.addEventListener("change", show);
  });
  show();
})();
// The coupon in words while it is typed: the server reads the form exactly as it
// would on saving and answers the summary, or the first thing to fix.
(function () {
  var form = document.querySelector("form.coupon-form");
  var out = document.getElementById("live-summary");
  var timer;
  function update() {
    fetch(form.dataset.preview, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
    }).then(function (response) {
      return response.text().then(function (text) {
        out.hidden = false;
        out.textContent = text;
        out.classList.toggle("pending", !response.ok);
      });
    });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  });
  update();
})();

// A big catalogue's picker: products found as staff type, ticked to choose.
(function () {
  var box = document.querySelector(".product-search");
  if (!box) return;
  var input = document.getElementById("product-search");
  var results = document.getElementById("product-results");
  input.hidden = false;
  var timer;
  function chosen(sku) {
    return document.querySelector("input[name='scope.skus'][value='" + CSS.escape(sku) + "']");
  }
  function search() {
    fetch(box.dataset.search + "?q=" + encodeURIComponent(input.value))
      .then(function (response) { return response.json(); })
      .then(function (products) {
        // What was ticked among the last results joins the chosen ones.
        var picked = box.previousElementSibling;
        results.querySelectorAll("input:checked").forEach(function (tick) {
          picked.appendChild(tick.parentNode);
        });
        results.textContent = "";
        products.forEach(function (p) {
          if (chosen(p.sku)) return;
          var label = document.createElement("label");
          label.className = "inline";
          var tick = document.createElement("input");
          tick.type = "checkbox";
          tick.name = "scope.skus";
          tick.value = p.sku;
          label.appendChild(tick);
          label.appendChild(document.createTextNode(" " + p.name + " " + p.sku + " (¥" + p.price + ")"));
          results.appendChild(label);
        });
      });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
})();
