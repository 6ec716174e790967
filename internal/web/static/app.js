// keycard's only script. Every page works without it; it adds the Copy
// button of a new API key, opens the withdraw confirmation as a dialog in
// place of its own page, keeps a shown-once key out of the history, and
// ties the permission presets to the grid.
(function () {
  "use strict";

  // The Copy button copies the new key, through the Clipboard API where
  // the page is a secure context, else through the selection.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.copyStatus);
    if (!field || !status) {
      return;
    }
    var bySelection = function () {
      field.focus();
      field.select();
      try {
        return document.execCommand("copy");
      } catch (e) {
        return false;
      }
    };
    var report = function (ok) {
      status.textContent = ok
        ? "Copied to the clipboard."
        : "The key is selected: press Ctrl+C (⌘C on a Mac) to copy it.";
    };
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () { report(true); },
          function () { report(bySelection()); });
      } else {
        report(bySelection());
      }
    });
  });

  // Withdraw opens its confirmation dialog instead of the confirmation
  // page. The dialog's Cancel closes it without a script
  // (formmethod="dialog"), and so does Escape.
  document.querySelectorAll("a[data-dialog]").forEach(function (link) {
    var dialog = document.getElementById(link.dataset.dialog);
    if (!dialog || typeof dialog.showModal !== "function") {
      return;
    }
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var menu = link.closest("details");
      if (menu) {
        menu.open = false;
      }
      dialog.showModal();
    });
  });

  // An open Actions menu closes on a click elsewhere, and on Escape, which
  // gives the focus back to its button.
  var menus = document.querySelectorAll("details.menu");
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    menus.forEach(function (menu) {
      if (menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  });

  // The permission presets set the grid; a change in the grid chooses the
  // preset it equals, or Custom. Without the script the server reads the
  // chosen preset, or the grid for Custom.
  var grid = document.getElementById("perm-grid");
  if (grid) {
    var presets = document.querySelectorAll('input[name="permissions"]');
    var gridLevels = function () {
      var parts = [];
      grid.querySelectorAll("tr[data-family]").forEach(function (row) {
        var on = row.querySelector("input:checked");
        if (on && on.value !== "none") {
          parts.push(row.dataset.family + "=" + on.value);
        }
      });
      return parts.join(",");
    };
    presets.forEach(function (preset) {
      preset.addEventListener("change", function () {
        if (preset.value === "custom" || !preset.checked) {
          return;
        }
        var levels = {};
        preset.dataset.levels.split(",").forEach(function (part) {
          var kv = part.split("=");
          if (kv.length === 2) {
            levels[kv[0]] = kv[1];
          }
        });
        grid.querySelectorAll("tr[data-family]").forEach(function (row) {
          var want = levels[row.dataset.family] || "none";
          var input = row.querySelector('input[value="' + want + '"]');
          if (input) {
            input.checked = true;
          }
        });
      });
    });
    grid.addEventListener("change", function () {
      var now = gridLevels();
      var match = document.getElementById("preset-custom");
      presets.forEach(function (preset) {
        if (preset.value !== "custom" && preset.dataset.levels === now) {
          match = preset;
        }
      });
      if (match) {
        match.checked = true;
      }
    });
  }

  // The page showing a new key answers the create form. Reloading it must
  // neither post the form again (a second key) nor show the key again: the
  // history entry becomes the plain list. Leaving the page removes the
  // key, so that a page restored from the back/forward cache lacks it.
  var panel = document.getElementById("new-key-panel");
  if (panel) {
    history.replaceState(null, "", window.location.pathname);
    window.addEventListener("pagehide", function () {
      panel.remove();
    });
  }
})();
