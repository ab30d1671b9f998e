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

/* ---------------------------------------------------------------- pricing
   Condition grid: show only the inputs a row's kind and scope use. Type-ahead for
   fields keyed by code (customers, articles). Price simulator: fold each line's
   breakdown. Without this script every input and breakdown simply stays visible. */
(function () {
  "use strict";

  // [data-show-for="kind:discount,tiers"] is shown while the row's [data-switch="kind"]
  // has one of those values, or while it holds an error the user must see.
  function syncRow(row) {
    row.querySelectorAll("[data-show-for]").forEach(function (block) {
      var spec = block.getAttribute("data-show-for").split(":");
      var control = row.querySelector('[data-switch="' + spec[0] + '"]');
      if (!control) return;
      var wanted = spec[1].split(",");
      block.hidden = wanted.indexOf(control.value) === -1 && !block.querySelector(".errorlist");
    });
  }
  function rowOf(element) { return element.closest("tr, [data-switch-row]"); }
  document.querySelectorAll("[data-switch]").forEach(function (control) {
    var row = rowOf(control);
    if (row) syncRow(row);
  });
  document.addEventListener("change", function (event) {
    var control = event.target.closest && event.target.closest("[data-switch]");
    if (!control) return;
    var row = rowOf(control);
    if (row) syncRow(row);
  });
  // Rows added by "Add a line" come from a template: sync them as they appear.
  document.querySelectorAll("[data-formset] tbody").forEach(function (body) {
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        record.addedNodes.forEach(function (node) {
          if (node.nodeType === 1 && node.querySelector("[data-switch]")) syncRow(node);
        });
      });
    }).observe(body, { childList: true });
  });

  // input[data-lookup-url]: suggestions in a <datalist> as the user types.
  var pending = new WeakMap();
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-lookup-url]")) return;
    var query = input.value.trim();
    if (query.length < 2) return;
    clearTimeout(pending.get(input));
    pending.set(input, setTimeout(function () {
      var url = input.getAttribute("data-lookup-url") + "?q=" + encodeURIComponent(query);
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          var listId = input.id + "-suggestions";
          var list = document.getElementById(listId);
          if (!list) {
            list = document.createElement("datalist");
            list.id = listId;
            input.insertAdjacentElement("afterend", list);
            input.setAttribute("list", listId);
          }
          list.replaceChildren.apply(list, data.results.map(function (item) {
            var option = document.createElement("option");
            option.value = item.value;
            option.label = item.label;
            return option;
          }));
        })
        .catch(function () { /* suggestions are a convenience: typing still works */ });
    }, 180));
  });

  // Price simulator: each line's breakdown folds under its row.
  var toggles = document.querySelectorAll(".sim-line .row-toggle");
  function setOpen(toggle, open) {
    var detail = document.getElementById(toggle.getAttribute("aria-controls"));
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (detail) detail.hidden = !open;
  }
  toggles.forEach(function (toggle) {
    toggle.hidden = false;
    setOpen(toggle, toggles.length === 1);
    toggle.addEventListener("click", function () {
      setOpen(toggle, toggle.getAttribute("aria-expanded") !== "true");
    });
  });
  var expandAll = document.querySelector("[data-expand-all]");
  if (expandAll && toggles.length) {
    expandAll.hidden = false;
    expandAll.addEventListener("click", function () {
      var open = Array.prototype.some.call(toggles, function (t) { return t.getAttribute("aria-expanded") !== "true"; });
      toggles.forEach(function (toggle) { setOpen(toggle, open); });
    });
  }
})();
