/* Customer hierarchy: a lazily loaded tree and a card panel.

   Only the roots come with the page. Expanding a node fetches its children as an
   HTML fragment (a page at a time, so a platform with thousands of stores stays
   fast); selecting a node fetches its card into the side panel. The URL keeps
   ?node=<id> so that a reload or a shared link reopens the same place. */
(function () {
  "use strict";

  var tree = document.querySelector("[data-tree]");
  var panel = document.querySelector("[data-tree-panel]");
  if (!tree || !panel) return;
  var errorText = tree.getAttribute("data-error-text") || "Error";

  function fetchHtml(url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      });
  }

  function groupOf(node) { return node.querySelector(":scope > ul"); }

  function expand(node) {
    var group = groupOf(node);
    if (!group) return Promise.resolve();
    if (node.getAttribute("data-loaded") === "true") {
      group.hidden = false;
      node.setAttribute("aria-expanded", "true");
      return Promise.resolve();
    }
    node.classList.add("is-loading");
    node.setAttribute("aria-busy", "true");
    return fetchHtml(node.getAttribute("data-children-url"))
      .then(function (html) {
        group.innerHTML = html;
        node.setAttribute("data-loaded", "true");
        group.hidden = false;
        node.setAttribute("aria-expanded", "true");
      })
      .catch(function () {
        group.innerHTML = '<li class="tree-message" role="alert">' + errorText + "</li>";
        group.hidden = false;
      })
      .finally(function () {
        node.classList.remove("is-loading");
        node.removeAttribute("aria-busy");
      });
  }

  function collapse(node) {
    var group = groupOf(node);
    if (group) group.hidden = true;
    node.setAttribute("aria-expanded", "false");
  }

  function markSelected(node) {
    tree.querySelectorAll(".tree-node.is-selected").forEach(function (other) {
      other.classList.remove("is-selected");
      other.removeAttribute("aria-selected");
    });
    node.classList.add("is-selected");
    node.setAttribute("aria-selected", "true");
  }

  function select(node) {
    markSelected(node);
    panel.setAttribute("aria-busy", "true");
    return fetchHtml(node.getAttribute("data-card-url"))
      .then(function (html) {
        panel.innerHTML = html;
        var url = new URL(window.location.href);
        url.searchParams.set("node", node.getAttribute("data-id"));
        window.history.replaceState(null, "", url);
      })
      .catch(function () {
        panel.innerHTML = '<div class="card"><p class="empty" role="alert">' + errorText + "</p></div>";
      })
      .finally(function () { panel.removeAttribute("aria-busy"); });
  }

  function loadMore(button) {
    var item = button.closest("li");
    button.disabled = true;
    return fetchHtml(button.getAttribute("data-more-url"))
      .then(function (html) { item.insertAdjacentHTML("afterend", html); item.remove(); })
      .catch(function () { button.disabled = false; });
  }

  tree.addEventListener("click", function (event) {
    var toggle = event.target.closest(".tree-toggle");
    if (toggle) {
      var node = toggle.closest(".tree-node");
      if (node.getAttribute("aria-expanded") === "true") collapse(node); else expand(node);
      return;
    }
    var more = event.target.closest("[data-more-url]");
    if (more) { loadMore(more); return; }
    var label = event.target.closest(".tree-label");
    if (label && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
      event.preventDefault();
      select(label.closest(".tree-node"));
    }
  });

  // Keyboard: right opens, left closes or goes to the parent, up/down move.
  tree.addEventListener("keydown", function (event) {
    var label = event.target.closest(".tree-label");
    if (!label) return;
    var node = label.closest(".tree-node");
    var labels = Array.prototype.filter.call(tree.querySelectorAll(".tree-label"), function (el) {
      return el.offsetParent !== null;
    });
    var index = labels.indexOf(label);
    if (event.key === "ArrowRight" && node.querySelector(":scope > .tree-row .tree-toggle")) {
      event.preventDefault();
      expand(node);
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      if (node.getAttribute("aria-expanded") === "true") collapse(node);
      else {
        var parent = node.parentElement.closest(".tree-node");
        if (parent) parent.querySelector(":scope > .tree-row .tree-label").focus();
      }
    } else if (event.key === "ArrowDown" && index < labels.length - 1) {
      event.preventDefault();
      labels[index + 1].focus();
    } else if (event.key === "ArrowUp" && index > 0) {
      event.preventDefault();
      labels[index - 1].focus();
    }
  });

  var collapseAll = document.querySelector("[data-tree-collapse]");
  if (collapseAll) {
    collapseAll.addEventListener("click", function () {
      tree.querySelectorAll('.tree-node[aria-expanded="true"]').forEach(collapse);
    });
  }

  // Reopen the lineage of the node named in ?node= (the server already drew its card).
  var lineage = (tree.getAttribute("data-open-lineage") || "").split(",").filter(Boolean);
  if (lineage.length) {
    var chain = Promise.resolve();
    lineage.slice(0, -1).forEach(function (id) {
      chain = chain.then(function () {
        var node = tree.querySelector('.tree-node[data-id="' + id + '"]');
        return node ? expand(node) : null;
      });
    });
    chain.then(function () {
      var target = tree.querySelector('.tree-node[data-id="' + lineage[lineage.length - 1] + '"]');
      if (target) {
        markSelected(target);
        target.scrollIntoView({ block: "nearest" });
      }
    });
  }
})();
