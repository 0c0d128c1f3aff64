/* attnbook's widget player for the static website.

   The notebooks store the ipywidgets state of their figures (myst-nb embeds it in each page as
   <script type="application/vnd.jupyter.widget-state+json">, with one widget-view script where
   each output goes). An interactive figure is a few kinds of widget: boxes, a tree of Stacks of
   Image frames, SelectionSlider / Dropdown / ToggleButtons controls whose `index` is jslinked
   to the Stacks' `selected_index`, and HTML lines; a live figure (attnbook.live_figure) adds
   Text, Textarea or slider controls that only a kernel can act on, shown here with their
   values. This script draws those from the state, and moves the links in the page, as the
   ipywidgets HTML manager would — in a few kilobytes and a few milliseconds, where the
   manager's 3.6 MB bundle took about a second of the page's main thread before the first
   control could be used.

   Every number and every frame still comes from the stored state (from Python); the page only
   chooses which frame shows. A widget kind it cannot draw, or state it cannot find, is drawn as
   an empty box and reported in the console (the browser tests fail on any console error); one
   figure that fails does not stop the others. */
(function () {
  "use strict";

  if (window.attnbookWidgets) return;  // loaded twice: draw once
  window.attnbookWidgets = true;

  var REF = "IPY_MODEL_";
  var models = {};
  var serial = 0;  // ids that tie labels to their controls

  function Model(id, spec) {
    this.id = id;
    this.name = spec.model_name;
    this.state = spec.state || {};
    this.listeners = [];
    var state = this.state;
    (spec.buffers || []).forEach(function (buffer) {
      if (buffer.path && buffer.path.length === 1) {
        state[buffer.path[0]] = { base64: buffer.data };
      }
    });
  }
  Model.prototype.set = function (key, value) {
    if (this.state[key] === value) return;
    this.state[key] = value;
    this.listeners.forEach(function (listen) {
      try {
        listen(key, value);
      } catch (err) {  // one view that fails must not stop the others following this model
        console.error("attnbook widgets: " + err);
      }
    });
  };
  Model.prototype.on = function (key, listen) {
    this.listeners.push(function (k, v) { if (k === key) listen(v); });
  };

  function model(ref) {
    var found = typeof ref === "string" ? models[ref.replace(REF, "")] : undefined;
    if (ref && !found) console.error("attnbook widgets: no state for " + ref);
    return found;
  }

  function element(tag, className, parent) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (parent) parent.appendChild(el);
    return el;
  }

  // Layout traits are CSS properties (max_width -> max-width); style traits we use: widths.
  function applyLayout(el, m) {
    var layout = model(m.state.layout);
    if (layout) {
      Object.keys(layout.state).forEach(function (key) {
        var value = layout.state[key];
        if (key.charAt(0) !== "_" && value !== null && value !== undefined && value !== "") {
          el.style.setProperty(key.replace(/_/g, "-"), String(value));
        }
      });
    }
    (m.state._dom_classes || []).forEach(function (c) {
      c.split(/\s+/).forEach(function (name) { if (name) el.classList.add(name); });
    });
  }

  function styleOf(m) {
    var style = model(m.state.style);
    return style ? style.state : {};
  }

  // A control's row: its description, then the control itself (`control(row)` makes it; the
  // label is tied to it, so clicking the label focuses the control).
  function labelled(m, kind, control) {
    var row = element("div", "widget-inline widget-" + kind);
    var text = m.state.description;
    var label = text ? element("label", "widget-label", row) : null;
    var input = control(row);
    input.id = "attnbook-widget-" + (++serial);
    if (label) {
      label.htmlFor = input.id;
      label.textContent = text;
      var width = styleOf(m).description_width;
      if (width && width !== "initial") label.style.width = width;
      if (m.state.tooltip) label.title = m.state.tooltip;
    }
    if (m.state.tooltip) input.title = m.state.tooltip;
    input.disabled = !!m.state.disabled;
    return { row: row, input: input };
  }

  function make(tag, className) {
    return function (row) { return element(tag, className, row); };
  }

  var draw = {
    VBoxModel: function (m) { return box(m, "widget-vbox"); },
    HBoxModel: function (m) { return box(m, "widget-hbox"); },
    BoxModel: function (m) { return box(m, "widget-hbox"); },

    StackModel: function (m) {
      // Only the selected child is built and shown (as ipywidgets 8 does); the others are built
      // the first time a control reaches them, and kept, hidden by a class (so that a child's
      // own layout keeps its `display`).
      var el = element("div", "widget-box widget-stack");
      var built = {};
      function show(index) {
        Object.keys(built).forEach(function (i) {
          built[i].classList.toggle("attnbook-hidden", Number(i) !== index);
        });
        var ref = (m.state.children || [])[index];
        if (index === null || index === undefined || ref === undefined || built[index]) return;
        built[index] = el.appendChild(view(ref));
      }
      show(m.state.selected_index);
      m.on("selected_index", show);
      return el;
    },

    ImageModel: function (m) {
      var el = element("img", "widget-image");
      var value = m.state.value;
      if (value && value.base64) {
        el.src = "data:image/" + (m.state.format || "png") + ";base64," + value.base64;
      }
      if (m.state.width) el.setAttribute("width", m.state.width);
      if (m.state.height) {
        el.setAttribute("height", m.state.height);
      } else if (m.state.width && value && value.base64 && m.state.format === "png") {
        // the frame's height before it is decoded (from the PNG header's size), so that a
        // frame shown for the first time does not make the page jump
        var head = atob(value.base64.slice(0, 32));
        var size = function (at) {
          return ((head.charCodeAt(at) << 24) | (head.charCodeAt(at + 1) << 16) |
                  (head.charCodeAt(at + 2) << 8) | head.charCodeAt(at + 3)) >>> 0;
        };
        if (head.slice(12, 16) === "IHDR" && size(16) > 0) {
          el.setAttribute("height", String(Math.round(Number(m.state.width) * size(20) / size(16))));
        }
      }
      el.alt = "figure";  // an interactive figure says which setting it shows (describe())
      return el;
    },

    HTMLModel: function (m) {
      var content = labelled(m, "html", make("div", "widget-html-content"));
      content.input.innerHTML = m.state.value || "";
      content.input.setAttribute("aria-live", "polite");  // a readout line under a figure
      return content.row;
    },

    SelectionSliderModel: function (m) {
      var labels = m.state._options_labels || [];
      var slider = rangeRow(m, 0, Math.max(labels.length - 1, 0), 1);
      var input = slider.input, readout = slider.readout;
      function show(index) {
        input.value = index;
        readout.textContent = labels[index];
        input.setAttribute("aria-valuetext", labels[index]);
      }
      show(m.state.index);
      input.addEventListener("input", function () { m.set("index", Number(input.value)); });
      m.on("index", show);
      return slider.row;
    },

    DropdownModel: function (m) {
      var menu = labelled(m, "dropdown", make("select", ""));
      var select = menu.input;
      (m.state._options_labels || []).forEach(function (text, i) {
        var option = element("option", "", select);
        option.textContent = text;
        option.value = String(i);
      });
      function show(index) { select.selectedIndex = index === null ? -1 : index; }
      show(m.state.index);
      select.addEventListener("change", function () { m.set("index", select.selectedIndex); });
      m.on("index", show);
      return menu.row;
    },

    ToggleButtonsModel: function (m) {
      var toggles = labelled(m, "toggle-buttons", make("div", "widget-toggle-buttons-group"));
      var group = toggles.input;
      group.setAttribute("role", "group");
      if (m.state.description) group.setAttribute("aria-label", m.state.description);
      var tips = m.state.tooltips || [];
      var buttons = (m.state._options_labels || []).map(function (text, i) {
        var button = element("button", "widget-toggle-button", group);
        button.type = "button";
        button.textContent = text;
        if (tips[i]) button.title = tips[i];
        button.disabled = !!m.state.disabled;
        button.addEventListener("click", function () { m.set("index", i); });
        return button;
      });
      function show(index) {
        buttons.forEach(function (button, i) {
          button.classList.toggle("mod-active", i === index);
          button.setAttribute("aria-pressed", String(i === index));
        });
      }
      show(m.state.index);
      m.on("index", show);
      return toggles.row;
    },

    // A live figure's controls: shown with their values; on the website no kernel redraws the
    // figure (the figure's note says so).
    TextModel: function (m) {
      var text = labelled(m, "text", make("input", ""));
      text.input.type = "text";
      text.input.value = m.state.value || "";
      text.input.placeholder = m.state.placeholder || "";
      return text.row;
    },

    TextareaModel: function (m) {
      var text = labelled(m, "textarea", make("textarea", ""));
      text.input.value = m.state.value || "";
      text.input.rows = m.state.rows || 3;
      text.input.placeholder = m.state.placeholder || "";
      return text.row;
    },

    IntSliderModel: numberSlider,
    FloatSliderModel: numberSlider
  };

  // A slider's row: description, <input type=range>, readout (hidden if `readout` is off).
  function rangeRow(m, min, max, step) {
    var slider = labelled(m, "slider", make("input", "widget-range"));
    slider.input.type = "range";
    slider.input.min = min;
    slider.input.max = max;
    slider.input.step = step;
    slider.readout = element("span", "widget-readout", slider.row);
    if (m.state.readout === false) slider.readout.style.display = "none";
    return slider;
  }

  function numberSlider(m) {
    var slider = rangeRow(m, m.state.min, m.state.max, m.state.step);
    slider.input.value = m.state.value;
    slider.readout.textContent = String(m.state.value);
    slider.input.addEventListener("input", function () {
      slider.readout.textContent = slider.input.value;
    });
    return slider.row;
  }

  // A live figure (attnbook.live_figure: controls, a status line, the figure, a note) needs a
  // kernel to redraw. Here its figure is the one for the values shown, its boxes are read-only
  // and its status line ("Type, then press Enter ... to redraw") is hidden: nothing would redraw.
  function live(el) {
    Array.prototype.forEach.call(el.querySelectorAll("img"), function (img) {
      img.alt = "figure for the values in the controls above";
    });
    Array.prototype.forEach.call(el.querySelectorAll("input, textarea"), function (box) {
      if (box.type === "range") {
        box.disabled = true;
      } else {
        box.readOnly = true;
      }
      box.title = "Run the notebook to change this: the figure is redrawn by Python";
    });
    var status = el.children[1];
    if (status && status.classList.contains("widget-html")) status.style.display = "none";
  }

  // An interactive figure's frame says which setting it shows: "figure for temperature τ: 1,
  // scores: scaled" (its controls are the first row of the figure's box).
  function describe(figure, m) {
    var row = model((m.state.children || [])[0]);
    var controls = row ? (row.state.children || []).map(model).filter(Boolean) : [];
    function update() {
      var parts = controls.map(function (c) {
        var labels = c.state._options_labels || [];
        return (c.state.description || "setting") + ": " + labels[c.state.index];
      });
      var text = "figure for " + parts.join(", ");
      Array.prototype.forEach.call(figure.querySelectorAll("img"), function (img) {
        img.alt = text;
      });
    }
    update();
    controls.forEach(function (c) { c.on("index", update); });
  }

  function box(m, kind) {
    var el = element("div", "widget-box " + kind);
    (m.state.children || []).forEach(function (ref) { el.appendChild(view(ref)); });
    return el;
  }

  function view(ref) {
    var m = model(ref);
    if (!m) return element("div", "widget-missing");
    var drawer = draw[m.name];
    if (!drawer) {
      console.error("attnbook widgets: cannot draw a " + m.name);
      return element("div", "widget-missing");
    }
    var el = drawer(m);
    el.classList.add("jupyter-widgets");
    applyLayout(el, m);
    if (el.classList.contains("attnbook-interactive")) describe(el, m);
    if (el.classList.contains("attnbook-live")) live(el);
    return el;
  }

  // jslink / jsdlink: keep a trait of one widget equal to a trait of another, in the page.
  function link(m) {
    var source = m.state.source || [], target = m.state.target || [];
    var a = model(source[0]), b = model(target[0]);
    if (!a || !b) return;
    b.set(target[1], a.state[source[1]]);
    a.on(source[1], function (value) { b.set(target[1], value); });
    if (m.name === "LinkModel") b.on(target[1], function (value) { a.set(source[1], value); });
  }

  function start() {
    var holders = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-state+json"]');
    Array.prototype.forEach.call(holders, function (holder) {
      try {
        var state = JSON.parse(holder.textContent).state || {};
        Object.keys(state).forEach(function (id) { models[id] = new Model(id, state[id]); });
      } catch (err) {
        console.error("attnbook widgets: unreadable widget state: " + err);
      }
    });
    Object.keys(models).forEach(function (id) {
      var m = models[id];
      if (m.name === "LinkModel" || m.name === "DirectionalLinkModel") link(m);
    });
    var views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
    Array.prototype.forEach.call(views, function (script) {
      var area = document.createElement("div");
      area.className = "widget-subarea";
      try {  // one figure that cannot be drawn must not stop the others
        area.appendChild(view(REF + JSON.parse(script.textContent).model_id));
      } catch (err) {
        console.error("attnbook widgets: could not draw a widget: " + err);
        return;
      }
      if (script.parentElement) script.parentElement.insertBefore(area, script);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();  // a deferred script: the page's HTML is parsed
  }
})();
