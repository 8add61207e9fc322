// Doorstep's only script of its own. Everything works without it; it adds
// "stations near me", which needs the browser's location, asked only on a tap.
(function () {
  "use strict";

  function nearMe(button) {
    var status = button.parentElement.querySelector(".near-me-status");
    var say = function (text) { if (status) { status.textContent = text; } };
    if (!("geolocation" in navigator)) {
      say(button.dataset.unavailable || "");
      return;
    }
    say(button.dataset.locating || "");
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        var url = new URL(button.dataset.nearMe, window.location.origin);
        url.searchParams.set("lat", pos.coords.latitude.toFixed(5));
        url.searchParams.set("lng", pos.coords.longitude.toFixed(5));
        window.location.assign(url.toString());
      },
      function () { say(button.dataset.denied || ""); },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 }
    );
  }

  // A report's "where I am now": the phone's position goes into the form's
  // hidden lat/lng fields (the form names the place in words without it).
  function fillLocation(button) {
    var form = button.form;
    var status = button.parentElement.querySelector(".near-me-status");
    var say = function (text) { if (status) { status.textContent = text; } };
    if (!("geolocation" in navigator)) { say(button.dataset.unavailable || ""); return; }
    say(button.dataset.locating || "");
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        form.querySelector("[data-lat]").value = pos.coords.latitude.toFixed(5);
        form.querySelector("[data-lng]").value = pos.coords.longitude.toFixed(5);
        say(button.dataset.found || "");
      },
      function () { say(button.dataset.denied || ""); },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  }

  // Move focus to an error summary so screen readers and keyboards land on it.
  function focusErrors(root) {
    var summary = root.querySelector ? root.querySelector("[data-autofocus]") : null;
    if (summary) { summary.focus(); }
  }

  // The chosen date chip in sight, also far along the strip (a swapped-in
  // strip starts scrolled to its first day). Only the strip scrolls, not the page.
  function showChosenDay(root) {
    root.querySelectorAll(".date-chips [aria-current]").forEach(function (chip) {
      var strip = chip.parentElement;
      var offset = chip.getBoundingClientRect().left - strip.getBoundingClientRect().left;
      strip.scrollLeft += offset - (strip.clientWidth - chip.offsetWidth) / 2;
    });
  }

  function init(root) {
    focusErrors(root);
    showChosenDay(root);
    root.querySelectorAll("[data-near-me]").forEach(function (button) {
      button.hidden = false;
      if (button.dataset.bound) { return; }
      button.dataset.bound = "1";
      button.addEventListener("click", function () { nearMe(button); });
    });
    root.querySelectorAll("[data-fill-location]").forEach(function (button) {
      button.hidden = false;
      if (button.dataset.bound) { return; }
      button.dataset.bound = "1";
      button.addEventListener("click", function () { fillLocation(button); });
    });
  }

  // The CSRF token of the page on screen goes with every htmx request (a
  // boosted swap replaces the body's content, and the token with it).
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.getElementById("csrf-token");
    if (token) { event.detail.headers["X-CSRFToken"] = token.value; }
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  // Pages swapped in by htmx (boosted links) need the same set-up, once htmx
  // has scrolled a boosted page to its top (right after this event): so an
  // error summary focused here stays in view.
  document.addEventListener("htmx:load", function (event) {
    setTimeout(function () { init(event.target); }, 0);
  });
})();
