/* Sales order and quote entry, built for the keyboard.

   The server renders every row (sales/orders/_entry_line.html); this script only
   sends what was keyed and puts the returned HTML in place, so a row looks the same
   after a fetch as after a page load. Orders: the first line creates the draft, each
   Enter adds, changes or removes one line through the services. Quotes: lines are
   priced by the server and kept on the page (hidden inputs) until the quote is created.

   Keys: type-ahead lists move with ↑/↓ and pick with Enter (or Tab); Enter in the
   quantity adds the line; ↑ from the article field goes to the last line; in a line,
   Enter saves its quantity, Escape gives it back, Ctrl+Delete (or Delete on its
   buttons) removes it; Ctrl+Enter confirms the order / creates the quote. */
(function () {
  "use strict";

  // ------------------------------------------------------------ price breakdowns (every sales page)
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-breakdown-toggle]");
    if (!toggle) return;
    var detail = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!detail) return;
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    detail.hidden = !open;
  });

  var root = document.querySelector("[data-entry]");
  if (!root) return;
  var mode = root.getAttribute("data-entry"); // "order" or "quote"

  // ------------------------------------------------------------ helpers
  var texts = root.querySelector("[data-entry-messages]");
  function msg(name) { return texts ? texts.getAttribute("data-msg-" + name) || name : name; }
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function post(url, data) {
    return fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== -1) return response.json();
      return { ok: false, errors: [msg("refused") + " (" + response.status + ")"] };
    }, function () {
      return { ok: false, errors: [msg("network")] };
    });
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .catch(function () { return { results: [] }; });
  }
  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }
  function fillErrors(box, errors) {
    box.replaceChildren();
    (errors || []).forEach(function (error) {
      var line = document.createElement("div");
      line.textContent = error;
      box.appendChild(line);
    });
    box.hidden = !errors || !errors.length;
  }
  function option(value, label) {
    var element = document.createElement("option");
    element.value = value;
    element.textContent = label;
    return element;
  }

  // ------------------------------------------------------------ type-ahead
  // A list under an input: ↑/↓ move, Enter or Tab picks, Escape closes. The first
  // item is pre-selected only when it is an exact match or the only one.
  function Typeahead(input, options) {
    var list = document.createElement("ul");
    list.className = "typeahead-list";
    list.id = input.id + "-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("aria-controls", list.id);
    var items = [];
    var active = -1;
    var timer = null;
    var sequence = 0;
    var inflight = null;

    function isOpen() { return !list.hidden; }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function setActive(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.classList.toggle("is-active", i === index);
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0 && list.children[index]) {
        input.setAttribute("aria-activedescendant", list.children[index].id);
        list.children[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function render() {
      list.replaceChildren();
      items.forEach(function (item, index) {
        var shown = options.render(item);
        var li = document.createElement("li");
        li.id = list.id + "-" + index;
        li.setAttribute("role", "option");
        li.setAttribute("data-value", item.value);
        var code = document.createElement("span");
        code.className = "ta-code";
        code.textContent = shown.code;
        var label = document.createElement("span");
        label.className = "ta-label";
        label.textContent = shown.label;
        li.append(code, label);
        if (shown.note) {
          var note = document.createElement("span");
          note.className = "ta-note";
          note.textContent = shown.note;
          li.appendChild(note);
        }
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(index, "mouse");
        });
        list.appendChild(li);
      });
      if (items.length && document.activeElement === input) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      setActive(items.length && (items[0].exact || items.length === 1) ? 0 : -1);
    }
    function fetchNow(query) {
      clearTimeout(timer);
      var mine = ++sequence;
      if (query.length < 2) {
        items = [];
        render();
        return Promise.resolve(items);
      }
      inflight = getJSON(options.url + "?q=" + encodeURIComponent(query)).then(function (data) {
        if (mine === sequence) {
          items = data.results || [];
          render();
        }
        return data.results || [];
      });
      return inflight;
    }
    function pick(index, how) {
      var item = items[index];
      close();
      if (item) options.onPick(item, how);
    }
    input.addEventListener("input", function () {
      options.onClear();
      clearTimeout(timer);
      var query = input.value.trim();
      timer = setTimeout(function () { fetchNow(query); }, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "ArrowDown" && items.length) {
        event.preventDefault();
        if (!isOpen()) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
        setActive(Math.min(active + 1, items.length - 1));
      } else if (event.key === "ArrowUp" && isOpen()) {
        event.preventDefault();
        setActive(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && isOpen() && active >= 0) {
        event.preventDefault();
        event.stopImmediatePropagation();
        pick(active, "enter");
      } else if (event.key === "Tab" && isOpen() && active >= 0 && !event.shiftKey) {
        pick(active, "tab");
      } else if (event.key === "Escape" && isOpen()) {
        event.preventDefault();
        event.stopImmediatePropagation();
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    return {
      isOpen: isOpen, close: close, fetchNow: fetchNow,
      pending: function () { return inflight; },
      items: function () { return items; }
    };
  }

  // ------------------------------------------------------------ elements
  var headerForm = root.querySelector("[data-entry-header]");
  var headerErrors = root.querySelector("[data-header-errors]");
  var table = root.querySelector("[data-entry-table]");
  var entryRow = root.querySelector("[data-entry-row]");
  var articleInput = document.getElementById("entry-article");
  var articleIdInput = document.getElementById("entry-article-id");
  var designation = root.querySelector("[data-entry-designation]");
  var quantityInput = document.getElementById("entry-quantity");
  var unitSelect = document.getElementById("entry-unit");
  var entryErrors = root.querySelector("[data-entry-errors]");
  var totalsSlot = root.querySelector("[data-totals]");
  var panelSlot = root.querySelector("[data-panel-slot]");
  var confirmForm = root.querySelector("[data-confirm-form]");
  var confirmButton = root.querySelector("[data-confirm-button]");
  var orderInfo = null;
  if (mode === "order" && root.getAttribute("data-order")) {
    orderInfo = {
      id: root.getAttribute("data-order"),
      line_add_url: root.getAttribute("data-line-add-url"),
      header_url: root.getAttribute("data-header-url")
    };
  }
  var pending = Promise.resolve();
  function queue(task) {
    pending = pending.then(task, task);
    return pending;
  }

  function lineBodies() { return Array.prototype.slice.call(table.querySelectorAll("tbody[data-entry-line]")); }
  function refreshConfirm() {
    if (confirmButton) confirmButton.disabled = (mode === "order" && !orderInfo) || !lineBodies().length;
  }
  function setTotals(html) {
    if (html !== undefined && totalsSlot) totalsSlot.innerHTML = html;
  }
  function quoteTotals() {
    if (mode !== "quote" || !totalsSlot) return;
    var count = 0;
    var amount = 0;
    lineBodies().forEach(function (body) {
      count += 1;
      amount += parseFloat(body.getAttribute("data-amount-value") || "0") || 0;
    });
    var lang = document.documentElement.lang || "fr";
    var countSlot = totalsSlot.querySelector("[data-totals-count]");
    var amountSlot = totalsSlot.querySelector("[data-total-amount]");
    if (countSlot) countSlot.setAttribute("data-totals-count", String(count));
    if (amountSlot) {
      amountSlot.textContent = amount.toLocaleString(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
  }

  // ------------------------------------------------------------ the order being keyed
  function setOrder(info) {
    if (!info || mode !== "order") return;
    var created = !orderInfo;
    orderInfo = info;
    root.setAttribute("data-order", info.id);
    if (headerForm) headerForm.setAttribute("action", info.header_url);
    if (confirmForm) {
      confirmForm.setAttribute("action", info.confirm_url);
      var next = confirmForm.querySelector("[data-confirm-next]");
      if (next) next.value = info.edit_url;
    }
    var page = root.querySelector("[data-order-page]");
    if (page) { page.href = info.detail_url; page.hidden = false; }
    if (created) {
      var title = root.querySelector("[data-entry-title]");
      if (title) title.textContent = info.title || info.number;
      if (window.history && window.history.replaceState) window.history.replaceState(null, "", info.edit_url);
    }
  }

  // The header fields only (in a quote, the lines' inputs share the form).
  function appendHeader(data) {
    var box = root.querySelector("[data-header-fields]") || headerForm;
    if (!box) return;
    box.querySelectorAll("input[name], select[name], textarea[name]").forEach(function (field) {
      if (field.name !== "csrfmiddlewaretoken" && !field.disabled) data.append(field.name, field.value);
    });
  }

  function showHeaderErrors(result) {
    if (!headerErrors) return;
    root.querySelectorAll("[data-field-errors]").forEach(function (box) { fillErrors(box, []); });
    var fields = result && result.fields ? result.fields : {};
    var placed = false;
    Object.keys(fields).forEach(function (name) {
      var box = root.querySelector('[data-field-errors="' + name + '"]');
      if (box) { fillErrors(box, fields[name]); placed = true; }
    });
    fillErrors(headerErrors, result && !result.ok && !placed ? result.errors : []);
  }

  function saveHeader() {
    if (mode !== "order" || !orderInfo) return pending;
    return queue(function () {
      var data = new FormData();
      appendHeader(data);
      return post(orderInfo.header_url, data).then(function (result) {
        showHeaderErrors(result);
        if (!result.ok) return;
        if (result.lines_html !== undefined) replaceRows(result.lines_html);
        setTotals(result.totals_html);
      });
    });
  }

  // ------------------------------------------------------------ rows
  function appendRow(html) {
    var content = fragment(html);
    var body = content.querySelector("tbody");
    table.insertBefore(content, entryRow);
    if (body) {
      body.classList.add("is-new");
      setTimeout(function () { body.classList.remove("is-new"); }, 1200);
    }
    refreshConfirm();
  }
  function replaceRow(body, html) {
    var content = fragment(html);
    var fresh = content.querySelector("tbody");
    table.replaceChild(content, body);
    return fresh;
  }
  function replaceRows(html) {
    lineBodies().forEach(function (body) { body.remove(); });
    table.insertBefore(fragment(html), entryRow);
    refreshConfirm();
  }
  function rowError(body, errors) {
    var row = body.querySelector(".line-error-row");
    var box = body.querySelector("[data-line-error]");
    if (!row || !box) return;
    fillErrors(box, errors);
    row.hidden = !errors || !errors.length;
  }
  function quantityOf(body) { return body.querySelector("[data-line-quantity]"); }

  function quotePreview(fields) {
    var data = new FormData();
    appendHeader(data);
    Object.keys(fields).forEach(function (key) { data.append(key, fields[key]); });
    return post(root.getAttribute("data-preview-url"), data);
  }
  var nextPosition = lineBodies().length + 1;

  function changeLine(body) {
    var input = quantityOf(body);
    if (!input) return;
    rowError(body, []);
    var request;
    if (mode === "order") {
      var data = new FormData();
      data.append("quantity", input.value);
      request = queue(function () { return post(body.getAttribute("data-change-url"), data); });
    } else {
      request = quotePreview({
        article_id: body.querySelector("input[name=article_id]").value,
        article: body.querySelector("input[name=article]").value,
        packaging_level: body.querySelector("input[name=packaging_level]").value,
        quantity: input.value,
        position: body.getAttribute("data-position")
      });
    }
    return request.then(function (result) {
      if (!result || !result.ok) {
        rowError(body, result ? result.errors : [msg("network")]);
        input.focus();
        return;
      }
      replaceRow(body, result.row_html);
      setTotals(result.totals_html);
      quoteTotals();
      articleInput.focus();
    });
  }

  function removeLine(body) {
    var bodies = lineBodies();
    var index = bodies.indexOf(body);
    function after() {
      body.remove();
      refreshConfirm();
      quoteTotals();
      var rest = lineBodies();
      var target = rest[Math.min(index, rest.length - 1)];
      if (target && quantityOf(target)) { quantityOf(target).focus(); quantityOf(target).select(); }
      else articleInput.focus();
    }
    if (mode !== "order") { after(); return Promise.resolve(); }
    return queue(function () {
      return post(body.getAttribute("data-cancel-url"), new FormData()).then(function (result) {
        if (!result.ok) { rowError(body, result.errors); return; }
        setTotals(result.totals_html);
        after();
      });
    });
  }

  table.addEventListener("keydown", function (event) {
    var body = event.target.closest("tbody[data-entry-line]");
    if (!body) return;
    var isQuantity = event.target.matches("[data-line-quantity]");
    if ((event.ctrlKey || event.metaKey) && event.key !== "Delete") return; // Ctrl+Enter confirms
    if (event.key === "Delete" && (!isQuantity || event.ctrlKey || event.shiftKey)) {
      event.preventDefault();
      removeLine(body);
      return;
    }
    if (!isQuantity) return;
    var bodies = lineBodies();
    var index = bodies.indexOf(body);
    if (event.key === "Enter") {
      event.preventDefault();
      changeLine(body);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.target.value = event.target.defaultValue;
      rowError(body, []);
      articleInput.focus();
    } else if (event.key === "ArrowUp" && index > 0) {
      event.preventDefault();
      quantityOf(bodies[index - 1]).focus();
      quantityOf(bodies[index - 1]).select();
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      if (index < bodies.length - 1) {
        quantityOf(bodies[index + 1]).focus();
        quantityOf(bodies[index + 1]).select();
      } else {
        articleInput.focus();
      }
    }
  });
  table.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-line-remove]");
    if (remove) removeLine(remove.closest("tbody[data-entry-line]"));
  });

  // ------------------------------------------------------------ the entry row
  var article = null;
  function setArticle(item) {
    article = item;
    articleIdInput.value = item ? item.id : "";
    designation.textContent = item ? item.designation + (item.blocked ? " (" + msg("blocked") + ")" : "") : "";
    unitSelect.replaceChildren(option("", item ? item.base_unit_label : "—"));
    if (item) {
      articleInput.value = item.code;
      item.packagings.forEach(function (packaging) {
        if (packaging.level === "consumer_unit" && packaging.quantity === "1") {
          unitSelect.appendChild(option(packaging.level, packaging.label));
        } else {
          unitSelect.appendChild(option(packaging.level, packaging.label + " × " + packaging.quantity));
        }
      });
      unitSelect.value = item.level || "";
    }
  }
  var articleLookup = Typeahead(articleInput, {
    url: root.getAttribute("data-article-lookup-url"),
    render: function (item) {
      var note = "";
      if (item.level) {
        var match = item.packagings.filter(function (p) { return p.level === item.level; })[0];
        note = match ? match.label + " × " + match.quantity : item.level;
      }
      if (item.blocked) note = msg("blocked");
      return { code: item.code, label: item.designation, note: note };
    },
    onPick: function (item, how) {
      setArticle(item);
      fillErrors(entryErrors, []);
      if (how !== "tab") { quantityInput.focus(); quantityInput.select(); }
    },
    onClear: function () {
      if (article) {
        article = null;
        articleIdInput.value = "";
        designation.textContent = "";
      }
    }
  });

  // The article the entry row names: the one picked, else the exact code/GTIN typed,
  // else the only suggestion.
  function resolveArticle() {
    if (article) return Promise.resolve({ item: article });
    var text = articleInput.value.trim();
    if (!text) return Promise.resolve({ error: msg("no-article") });
    return articleLookup.fetchNow(text).then(function (items) {
      var exact = items.filter(function (item) { return item.exact; })[0];
      var hit = exact || (items.length === 1 ? items[0] : null);
      if (hit) { setArticle(hit); articleLookup.close(); return { item: hit }; }
      return { error: msg(items.length ? "several-articles" : "unknown-article") };
    });
  }
  articleInput.addEventListener("keydown", function (event) {
    if (event.key === "Tab" && !event.shiftKey && !article && articleInput.value.trim()) {
      resolveArticle();
    } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      resolveArticle().then(function (found) {
        if (found.error) { fillErrors(entryErrors, [found.error]); return; }
        if (quantityInput.value.trim()) addLine();
        else { quantityInput.focus(); quantityInput.select(); }
      });
    } else if (event.key === "ArrowUp" && !articleLookup.isOpen()) {
      var bodies = lineBodies();
      if (bodies.length) {
        event.preventDefault();
        quantityOf(bodies[bodies.length - 1]).focus();
        quantityOf(bodies[bodies.length - 1]).select();
      }
    } else if (event.key === "Escape" && !articleLookup.isOpen()) {
      resetEntry();
    }
  });
  [quantityInput, unitSelect].forEach(function (input) {
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        addLine();
      }
    });
  });
  root.querySelector("[data-entry-add]").addEventListener("click", function () { addLine(); });

  function resetEntry() {
    articleInput.value = "";
    quantityInput.value = "";
    setArticle(null);
    fillErrors(entryErrors, []);
  }

  var adding = false;
  function addLine() {
    if (adding) return Promise.resolve();
    fillErrors(entryErrors, []);
    return resolveArticle().then(function (found) {
      if (found.error) {
        fillErrors(entryErrors, [found.error]);
        articleInput.focus();
        return;
      }
      if (!quantityInput.value.trim()) {
        fillErrors(entryErrors, [msg("no-quantity")]);
        quantityInput.focus();
        return;
      }
      var fields = {
        article_id: found.item.id, article: found.item.code, quantity: quantityInput.value,
        packaging_level: unitSelect.value
      };
      adding = true;
      var request;
      if (mode === "quote") {
        fields.position = nextPosition;
        request = quotePreview(fields);
      } else {
        request = queue(function () {
          var data = new FormData();
          if (!orderInfo) appendHeader(data);
          Object.keys(fields).forEach(function (key) { data.append(key, fields[key]); });
          return post(orderInfo ? orderInfo.line_add_url : root.getAttribute("data-create-url"), data);
        });
      }
      return request.then(function (result) {
        if (!result || !result.ok) {
          var errors = result ? result.errors : [msg("network")];
          fillErrors(entryErrors, errors);
          if (result && result.fields && result.fields.customer) {
            document.getElementById("entry-customer").focus();
          } else {
            quantityInput.focus();
          }
          showHeaderErrors(result && result.fields && !result.fields.lines ? result : { ok: true });
          return;
        }
        if (result.order) setOrder(result.order);
        if (result.row_html) appendRow(result.row_html);
        else if (result.lines_html !== undefined) replaceRows(result.lines_html);
        setTotals(result.totals_html);
        if (mode === "quote") { nextPosition += 1; quoteTotals(); }
        showHeaderErrors({ ok: true });
        resetEntry();
        articleInput.focus();
      });
    }).finally(function () { adding = false; });
  }

  // ------------------------------------------------------------ the header
  function nodeInput(name) { return root.querySelector('[data-node-input="' + name + '"]'); }
  function nodeHidden(name) { return headerForm.querySelector('input[type=hidden][name="' + name + '"]'); }
  function setNode(name, id, label) {
    var input = nodeInput(name);
    var hidden = nodeHidden(name);
    if (input) input.value = label || "";
    if (hidden) hidden.value = id || "";
  }
  function loadPanel(customerId) {
    var url = root.getAttribute("data-panel-url") + "?customer=" + encodeURIComponent(customerId)
      + "&mode=" + mode + (orderInfo ? "&order=" + orderInfo.id : "");
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!panelSlot) return;
        panelSlot.innerHTML = html;
        var panel = panelSlot.querySelector("[data-customer-panel]");
        if (panel) {
          setNode("delivery_node", panel.getAttribute("data-delivery-id"), panel.getAttribute("data-delivery-label"));
          setNode("invoicing_node", panel.getAttribute("data-invoicing-id"), panel.getAttribute("data-invoicing-label"));
        }
      })
      .catch(function () { /* the panel is a help: keying goes on without it */ });
  }
  ["customer", "delivery_node", "invoicing_node"].forEach(function (name) {
    var input = nodeInput(name);
    if (!input) return;
    Typeahead(input, {
      url: root.getAttribute("data-customer-lookup-url"),
      render: function (item) {
        return { code: item.code, label: item.name, note: item.blocked ? msg("blocked") : item.kind_label };
      },
      onPick: function (item, how) {
        setNode(name, item.id, item.code + " — " + item.name);
        var done = name === "customer" ? loadPanel(item.id) : Promise.resolve();
        done.then(function () {
          if (mode === "order") saveHeader();
          else if (name === "customer") repriceAll(); // a quote's lines are priced for its customer
        });
        if (name === "customer" && how !== "tab") articleInput.focus();
      },
      onClear: function () {
        var hidden = nodeHidden(name);
        if (hidden) hidden.value = "";
      }
    });
  });
  if (headerForm) {
    headerForm.addEventListener("change", function (event) {
      if (event.target.matches("[data-node-input]")) return; // saved when picked
      saveHeader();
    });
    headerForm.addEventListener("keydown", function (event) {
      if (!event.target.closest("[data-header-fields]")) return; // a quote's form holds its lines too
      if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && event.target.tagName !== "TEXTAREA"
          && event.target.tagName !== "BUTTON") {
        event.preventDefault();
        if (!event.target.matches("[data-node-input]")) articleInput.focus();
      }
    });
    headerForm.addEventListener("submit", function (event) {
      if (mode === "order") { event.preventDefault(); saveHeader(); }
    });
  }

  function repriceAll() {
    return lineBodies().reduce(function (chain, body) {
      return chain.then(function () { return changeLine(body); });
    }, Promise.resolve());
  }

  // ------------------------------------------------------------ usual assortment (orders)
  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-assortment-add]");
    if (button) addAssortment(button.closest("[data-assortment]"));
  });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches("[data-assortment-quantity]")) {
      event.preventDefault();
      addAssortment(event.target.closest("[data-assortment]"));
    }
  });
  function addAssortment(box) {
    if (!box || mode !== "order") return;
    var data = new FormData();
    if (!orderInfo) appendHeader(data);
    var count = 0;
    box.querySelectorAll("[data-assortment-item]").forEach(function (row) {
      if (!row.querySelector("[data-assortment-pick]").checked) return;
      count += 1;
      data.append("article_id", row.getAttribute("data-article-id"));
      data.append("article", row.getAttribute("data-assortment-item"));
      data.append("quantity", row.querySelector("[data-assortment-quantity]").value);
      data.append("packaging_level", row.getAttribute("data-packaging-level"));
    });
    if (!count) return;
    queue(function () {
      return post(orderInfo ? orderInfo.line_add_url : root.getAttribute("data-create-url"), data)
        .then(function (result) {
          if (!result.ok) { fillErrors(entryErrors, result.errors); return; }
          if (result.order) setOrder(result.order);
          if (result.lines_html !== undefined) replaceRows(result.lines_html);
          else if (result.row_html) appendRow(result.row_html);
          setTotals(result.totals_html);
          articleInput.focus();
        });
    });
  }

  // ------------------------------------------------------------ confirm / create
  function finish() {
    if (mode === "order") {
      if (!orderInfo || !lineBodies().length) { fillErrors(entryErrors, [msg("no-lines")]); articleInput.focus(); return; }
      pending.then(function () { confirmForm.submit(); });
    } else {
      var form = root.querySelector("[data-quote-form]");
      if (!lineBodies().length) { fillErrors(entryErrors, [msg("no-lines")]); articleInput.focus(); return; }
      if (form) form.submit();
    }
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      finish();
    }
  });
  if (confirmForm) {
    confirmForm.addEventListener("submit", function (event) {
      event.preventDefault();
      finish();
    });
  }

  refreshConfirm();
  quoteTotals();
  var customerHidden = headerForm ? nodeHidden("customer") : null;
  if (customerHidden && !customerHidden.value) document.getElementById("entry-customer").focus();
  else articleInput.focus();
})();
