// Cells a list cuts with an ellipsis show their whole text on hover, where the admin did not say it itself.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("#result_list td, #result_list tbody th").forEach(function (cell) {
    if (!cell.title && !cell.querySelector("[title]") && cell.scrollWidth > cell.clientWidth) {
      cell.title = cell.textContent.trim();
    }
  });
});
