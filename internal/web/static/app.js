// keycard's only script. Every page works without it; it adds the Copy
// button of a new API key, opens the withdraw confirmation as a dialog in
// place of its own page, and keeps a shown-once key out of the history.
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
