// Converts a binary PBM (pdftoppm -mono output) into a ZPL label with the
// npm package zpl-image (Z64), the comparison pipeline for labelagent's
// zpl benchmarks. Usage: node pbm2zpl.js IN.pbm > OUT.zpl
'use strict';
const fs = require('fs');
const { rgbaToZ64 } = require('zpl-image');

function readPBM(buf) {
  // Header: "P4" whitespace width whitespace height single-whitespace data.
  let pos = 0;
  const tokens = [];
  while (tokens.length < 3) {
    while (/\s/.test(String.fromCharCode(buf[pos]))) pos++;
    if (buf[pos] === 0x23) { while (buf[pos] !== 0x0a) pos++; continue; }
    let start = pos;
    while (!/\s/.test(String.fromCharCode(buf[pos]))) pos++;
    tokens.push(buf.toString('ascii', start, pos));
  }
  pos++;
  if (tokens[0] !== 'P4') throw new Error('not a binary PBM');
  return { width: +tokens[1], height: +tokens[2], data: buf.subarray(pos) };
}

const pbm = readPBM(fs.readFileSync(process.argv[2]));
const { width, height, data } = pbm;
const stride = (width + 7) >> 3;
const rgba = new Uint8Array(width * height * 4);
for (let y = 0; y < height; y++) {
  for (let x = 0; x < width; x++) {
    const black = (data[y * stride + (x >> 3)] >> (7 - (x & 7))) & 1;
    const v = black ? 0 : 255;
    const i = (y * width + x) * 4;
    rgba[i] = rgba[i + 1] = rgba[i + 2] = v;
    rgba[i + 3] = 255;
  }
}
const r = rgbaToZ64(rgba, width, { black: 50 });
process.stdout.write(`^XA^FO0,0^GFA,${r.length},${r.length},${r.rowlen},${r.z64}^FS^XZ\n`);
