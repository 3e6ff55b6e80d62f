// Writes a small valid PDF with empty pages (no library): a catalog, a page
// tree and one page object per entry of `widths` (points, 100 high), so each
// page renders to a different image, then the xref table.
export function makePdf(widths = [200, 260]) {
  const kids = widths.map((_, i) => `${3 + i} 0 R`).join(' ');
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${widths.length} >>`,
    ...widths.map((w) => `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} 100] >>`),
  ];
  let out = '%PDF-1.4\n';
  const offsets = [];
  objs.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
