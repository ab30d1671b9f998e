/* Comptoir shell behaviour: search shortcut, formset rows, small form helpers.
   Every page works without it; it only saves clicks. */
(function () {
  "use strict";

  // "/" focuses the global search unless the user is typing somewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var search = document.getElementById("global-search");
    if (search) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  });

  // Close the user menu when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // Inline formsets: "add a line" clones the empty form, numbering it.
  document.querySelectorAll("[data-formset]").forEach(function (box) {
    var prefix = box.getAttribute("data-formset");
    var total = box.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var max = box.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    var template = box.querySelector("template[data-formset-empty]");
    var body = box.querySelector("tbody");
    var add = box.querySelector("[data-formset-add]");
    if (!total || !template || !body || !add) return;

    function refresh() {
      var limit = max ? parseInt(max.value, 10) : NaN;
      add.disabled = !isNaN(limit) && parseInt(total.value, 10) >= limit;
    }
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      body.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
      total.value = String(index + 1);
      var first = body.lastElementChild && body.lastElementChild.querySelector("input, select");
      if (first) first.focus();
      refresh();
    });
    box.addEventListener("change", function (event) {
      var input = event.target;
      if (input.name && /-DELETE$/.test(input.name)) {
        var row = input.closest("tr");
        if (row) row.classList.toggle("is-deleted", input.checked);
      }
    });
    refresh();
  });

  // Show a block only while a select has a value (kit components for kits), unless
  // the block holds data or errors the user must still see.
  document.querySelectorAll("[data-show-when]").forEach(function (block) {
    var select = document.getElementById(block.getAttribute("data-show-when"));
    if (!select) return;
    function holdsSomething() {
      if (block.querySelector(".errorlist")) return true;
      return Array.prototype.some.call(block.querySelectorAll("tbody input[type=text]"), function (input) {
        return input.value.trim() !== "";
      });
    }
    function sync() { block.hidden = !select.value && !holdsSomething(); }
    select.addEventListener("change", sync);
    sync();
  });
})();
