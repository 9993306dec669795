// The 3-D skin-dose view of an exam page: the phantom's cells coloured by dose (Plotly mesh3d).
(function () {
  "use strict";
  var box = document.getElementById("skin-3d");
  if (!box || typeof Plotly === "undefined") { return; }
  fetch(box.dataset.mesh, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("no mesh"); }
      return response.json();
    })
    .then(function (mesh) {
      if (!mesh.x || !mesh.x.length) { box.remove(); return; }
      Plotly.newPlot(box, [{
        type: "mesh3d", x: mesh.x, y: mesh.y, z: mesh.z, i: mesh.i, j: mesh.j, k: mesh.k,
        intensity: mesh.dose_mgy, colorscale: "Jet", cmin: 0,
        colorbar: { title: { text: "mGy" } },
        hovertemplate: "%{intensity:.0f} mGy<extra></extra>"
      }], {
        margin: { l: 0, r: 0, t: 0, b: 0 },
        // Looked at from behind and to the side, head up: entrance fields of a supine patient
        // are on the back.
        scene: {
          aspectmode: "data", xaxis: { visible: false }, yaxis: { visible: false }, zaxis: { visible: false },
          camera: { up: { x: 0, y: 0, z: 1 }, eye: { x: 1.4, y: -1.9, z: 0.5 } }
        }
      }, { responsive: true, displaylogo: false });
    })
    .catch(function () { box.remove(); });
})();
