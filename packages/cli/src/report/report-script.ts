/**
 * The page's only script (inline; the page loads nothing): filters and sorts the package table and
 * takes a click on a package's rectangle to its row. It reads text with textContent and dataset
 * and writes none back as HTML, so names from the image stay text.
 */
export const REPORT_SCRIPT = `(() => {
  const table = document.getElementById('package-table');
  const filter = document.getElementById('package-filter');
  const count = document.getElementById('package-count');
  if (!table || !filter || !count) return;
  const rows = Array.from(table.tBodies[0].rows);
  const total = rows.length;
  const apply = () => {
    const words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let shown = 0;
    for (const row of rows) {
      const text = row.textContent.toLowerCase() + ' ' + (row.cells[row.cells.length - 1].title || '');
      const match = words.every((w) => text.includes(w));
      row.hidden = !match;
      if (match) shown++;
    }
    count.textContent = shown === total ? total + ' packages' : shown + ' of ' + total + ' packages';
  };
  filter.addEventListener('input', apply);
  for (const th of table.tHead.rows[0].cells) {
    const sort = () => {
      const column = Number(th.dataset.column);
      const order = th.dataset.order === 'ascending' ? 'descending' : 'ascending';
      for (const other of table.tHead.rows[0].cells) delete other.dataset.order;
      th.dataset.order = order;
      const key = (row) => {
        const cell = row.cells[column];
        return cell.dataset.sort !== undefined ? Number(cell.dataset.sort) : cell.textContent;
      };
      const sorted = rows.slice().sort((a, b) => {
        const x = key(a);
        const y = key(b);
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return order === 'ascending' ? c : -c;
      });
      table.tBodies[0].append(...sorted);
    };
    th.addEventListener('click', sort);
    th.addEventListener('keydown', (e) => { if (e.key === 'Enter') sort(); });
  }
  const map = document.getElementById('treemap-packages');
  if (map)
    map.addEventListener('click', (e) => {
      const node = e.target.closest('.tm-package');
      if (!node) return;
      filter.value = node.dataset.key;
      apply();
      const row = rows.find((r) => r.dataset.package === node.dataset.key);
      if (row) row.scrollIntoView({ block: 'center' });
    });
})();`;
