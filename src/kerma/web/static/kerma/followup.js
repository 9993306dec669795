// The 3-D skin-dose view of an exam page: the phantom's cells coloured by dose (Plotly mesh3d),
// and, for the event chosen in the list, its beam (focal spot to the field's edges) so that a
// physicist can check the room's conventions by eye.
(function () {
  "use strict";
  var box = document.getElementById("skin-3d");
  if (!box || typeof Plotly === "undefined") { return; }
  var chooser = document.getElementById("skin-3d-beam");

  function beamTrace(beam) {
    var x = [], y = [], z = [], s = beam.source, c = beam.corners;
    for (var n = 0; n < c.length; n++) {  // an edge ray, then along the field's rim
      x.push(s[0], c[n][0], c[(n + 1) % c.length][0], null);
      y.push(s[1], c[n][1], c[(n + 1) % c.length][1], null);
      z.push(s[2], c[n][2], c[(n + 1) % c.length][2], null);
    }
    return { type: "scatter3d", mode: "lines", x: x, y: y, z: z, hoverinfo: "skip",
             line: { color: "#222", width: 3 }, showlegend: false };
  }

  fetch(box.dataset.mesh, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("no mesh"); }
      return response.json();
    })
    .then(function (mesh) {
      if (!mesh.x || !mesh.x.length) { box.remove(); return; }
      var skin = {
        type: "mesh3d", x: mesh.x, y: mesh.y, z: mesh.z, i: mesh.i, j: mesh.j, k: mesh.k,
        intensity: mesh.dose_mgy, colorscale: "Jet", cmin: 0,
        colorbar: { title: { text: "mGy" } },
        hovertemplate: "%{intensity:.0f} mGy<extra></extra>"
      };
      var layout = {
        margin: { l: 0, r: 0, t: 0, b: 0 },
        // Looked at from behind and to the side, head up: entrance fields of a supine patient
        // are on the back.
        scene: {
          aspectmode: "data", xaxis: { visible: false }, yaxis: { visible: false }, zaxis: { visible: false },
          camera: { up: { x: 0, y: 0, z: 1 }, eye: { x: 1.4, y: -1.9, z: 0.5 } }
        }
      };
      var beams = mesh.beams || [];
      function draw() {
        var traces = [skin];
        var chosen = chooser ? beams[Number(chooser.value)] : null;
        if (chosen) { traces.push(beamTrace(chosen)); }
        Plotly.react(box, traces, layout, { responsive: true, displaylogo: false });
      }
      if (chooser && beams.length) {
        beams.forEach(function (beam, n) {
          var option = document.createElement("option");
          option.value = String(n);
          option.textContent = "#" + (beam.index + 1) + " — " + beam.primary_angle_deg + "° / " +
            beam.secondary_angle_deg + "°";
          chooser.appendChild(option);
        });
        chooser.closest("label").hidden = false;
        chooser.addEventListener("change", draw);
      }
      draw();
    })
    .catch(function () { box.remove(); });
})();
