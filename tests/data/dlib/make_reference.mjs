// Makes the dlib face-descriptor test fixtures: 150x150 input PNGs and the descriptors face-api's own
// TensorFlow.js code (FaceRecognitionNet, pure-JS cpu backend) computes for them (reference.json).
//
// Run once, by hand, when the fixtures must be remade (never by the build or the tests):
//   tmp=$(mktemp -d) && (cd "$tmp" && npm init -y >/dev/null &&
//     npm install --no-audit --no-fund @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 \
//       @vladmandic/face-api@1.7.15 pngjs@7.0.0)
//   NODE_PATH="$tmp/node_modules" node tests/data/dlib/make_reference.mjs "$tmp/node_modules" \
//     third_party/face-api /usr/lib/python3/dist-packages/skimage/data/astronaut.png tests/data/dlib
// (third_party/face-api comes from scripts/fetch-face-api.sh.)
//
// Inputs written: astronaut_chip.png (the square [168, 42]-[348, 222] of skimage's astronaut.png, resized to
// 150x150 by area averaging, rounded to uint8), synthetic.png (a deterministic pattern of stripes and
// gradients), astronaut_chip_mirror.png (the first one mirrored). Each goes through
// faceRecognitionNet.computeFaceDescriptor(tf.tensor3d(pixels, [150, 150, 3], 'int32')) — the path face-api
// takes for a 150x150 tensor (no resize) — and reference.json records the 128 floats per image.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [modules, weightsDir, astronautPath, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node make_reference.mjs NODE_MODULES FACE_API_DIR ASTRONAUT_PNG OUT_DIR');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modules), 'x.js'));
const tf = require('@tensorflow/tfjs');
const { PNG } = require('pngjs');
// The CommonJS build for Node that takes tfjs from @tensorflow/tfjs (it also loads the wasm backend; the
// cpu backend is selected below). It shares this tfjs instance.
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

await tf.setBackend('cpu');
await tf.ready();

const SIZE = 150;

function readRgb(file) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; ++i) for (let c = 0; c < 3; ++c) rgb[i * 3 + c] = png.data[i * 4 + c];
  return { width: png.width, height: png.height, rgb };
}

function writeRgb(file, rgb) {
  const png = new PNG({ width: SIZE, height: SIZE });
  for (let i = 0; i < SIZE * SIZE; ++i) {
    for (let c = 0; c < 3; ++c) png.data[i * 4 + c] = rgb[i * 3 + c];
    png.data[i * 4 + 3] = 255;
  }
  fs.writeFileSync(file, PNG.sync.write(png, { colorType: 2 }));
}

// Area-average resize of the square crop [x0, x0 + side) x [y0, y0 + side) to SIZE x SIZE.
function cropResize(img, x0, y0, side) {
  const out = new Uint8Array(SIZE * SIZE * 3);
  const f = side / SIZE;
  for (let y = 0; y < SIZE; ++y) {
    for (let x = 0; x < SIZE; ++x) {
      const acc = [0, 0, 0];
      let w = 0;
      for (let sy = Math.floor(y * f); sy < Math.ceil((y + 1) * f); ++sy) {
        for (let sx = Math.floor(x * f); sx < Math.ceil((x + 1) * f); ++sx) {
          const wy = Math.min(sy + 1, (y + 1) * f) - Math.max(sy, y * f);
          const wx = Math.min(sx + 1, (x + 1) * f) - Math.max(sx, x * f);
          const p = ((y0 + sy) * img.width + (x0 + sx)) * 3;
          for (let c = 0; c < 3; ++c) acc[c] += wx * wy * img.rgb[p + c];
          w += wx * wy;
        }
      }
      for (let c = 0; c < 3; ++c) out[(y * SIZE + x) * 3 + c] = Math.round(acc[c] / w);
    }
  }
  return out;
}

function synthetic() {
  const out = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; ++y) {
    for (let x = 0; x < SIZE; ++x) {
      const i = (y * SIZE + x) * 3;
      out[i] = (x * 7 + y * 3) % 256;
      out[i + 1] = Math.round(127.5 + 120 * Math.sin(x / 9) * Math.cos(y / 13));
      out[i + 2] = ((x >> 3) + (y >> 3)) % 2 ? 220 : 35;
    }
  }
  return out;
}

function mirror(rgb) {
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < SIZE; ++y)
    for (let x = 0; x < SIZE; ++x)
      for (let c = 0; c < 3; ++c) out[(y * SIZE + x) * 3 + c] = rgb[(y * SIZE + (SIZE - 1 - x)) * 3 + c];
  return out;
}

const manifest = JSON.parse(fs.readFileSync(path.join(weightsDir, 'face_recognition_model-weights_manifest.json')));
const bin = fs.readFileSync(path.join(weightsDir, 'face_recognition_model.bin'));
const specs = manifest.flatMap((group) => group.weights);
const weightMap = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), specs);
const net = new faceapi.FaceRecognitionNet();
net.loadFromWeightMap(weightMap);

const astronaut = readRgb(astronautPath);
const chip = cropResize(astronaut, 168, 42, 180);
const inputs = [
  ['astronaut_chip.png', chip],
  ['synthetic.png', synthetic()],
  ['astronaut_chip_mirror.png', mirror(chip)],
];
const result = {
  generator: 'tests/data/dlib/make_reference.mjs',
  face_api: JSON.parse(fs.readFileSync(path.join(modules, '@vladmandic/face-api/package.json'))).version,
  tfjs: tf.version.tfjs,
  backend: tf.getBackend(),
  images: [],
};
for (const [name, rgb] of inputs) {
  writeRgb(path.join(outDir, name), rgb);
  const descriptor = await net.computeFaceDescriptor(tf.tensor3d(rgb, [SIZE, SIZE, 3], 'int32'));
  result.images.push({ file: name, descriptor: Array.from(descriptor) });
  console.log(name, Array.from(descriptor.slice(0, 4)).map((v) => v.toFixed(5)).join(' '));
}
fs.writeFileSync(path.join(outDir, 'reference.json'), JSON.stringify(result, null, 1) + '\n');
