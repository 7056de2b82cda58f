// OCI image layout archives built locally (no registry, no network): one uncompressed layer, an
// image config, a manifest and an index whose annotations name the image for `ctr images import`.
// The test images: busybox static with every applet linked, and a pause image running catatonit.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tar, type TarEntry } from './tar.js';

export const BUSYBOX_IMAGE = 'rind.test/busybox:1';
export const PAUSE_IMAGE = 'rind.test/pause:1';
/** The page the busybox image's httpd serves from /www (tests compare against it). */
export const WWW_INDEX = 'hello from the rind CRI harness\n';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export interface ImageSpec {
  /** Full reference, e.g. rind.test/busybox:1 (a dotted first component, so no docker.io/ prefix). */
  name: string;
  layer: TarEntry[];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
}

/** The image as an OCI image layout tar (oci-layout, index.json, blobs/sha256/*). */
export function ociArchive(img: ImageSpec): Buffer {
  const layer = tar(img.layer);
  const layerDigest = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: GOARCH[process.arch] ?? process.arch,
      os: 'linux',
      config: {
        Env: img.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        ...(img.entrypoint ? { Entrypoint: img.entrypoint } : {}),
        ...(img.cmd ? { Cmd: img.cmd } : {}),
        WorkingDir: img.workingDir ?? '/',
      },
      rootfs: { type: 'layers', diff_ids: [layerDigest] }, // uncompressed: diff_id = layer digest
      history: [{ created_by: 'rind test/e2e/cri/image.ts' }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  );
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256(manifest),
        size: manifest.length,
        // containerd's importer takes the full name from io.containerd.image.name
        annotations: { 'io.containerd.image.name': img.name, 'org.opencontainers.image.ref.name': img.name.split(':').pop()! },
      },
    ],
  });
  const blob = (b: Buffer): TarEntry => ({ type: 'file', path: `blobs/sha256/${sha256(b).slice(7)}`, data: b });
  return tar([
    { type: 'file', path: 'oci-layout', data: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    { type: 'file', path: 'index.json', data: index },
    { type: 'dir', path: 'blobs' },
    { type: 'dir', path: 'blobs/sha256' },
    blob(layer),
    blob(config),
    blob(manifest),
  ]);
}

function baseDirs(): TarEntry[] {
  return ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'www'].map((d) => ({ type: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 }) as TarEntry);
}

function etc(): TarEntry[] {
  return [
    { type: 'file', path: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { type: 'file', path: 'etc/group', data: 'root:x:0:\nnobody:x:65534:\n' },
  ];
}

/** busybox (static) with a link per applet it reports, and /www/index.html for httpd. */
export function busyboxImage(busybox = '/bin/busybox'): ImageSpec {
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => a && a !== 'busybox' && !a.includes('/'));
  return {
    name: BUSYBOX_IMAGE,
    layer: [
      ...baseDirs(),
      { type: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
      ...applets.map((a): TarEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
      ...etc(),
      { type: 'file', path: 'www/index.html', data: WWW_INDEX },
    ],
    cmd: ['sh'],
  };
}

/**
 * The pod's infra ("pause") image. catatonit -P is a pause process: it waits forever, reaps, exits
 * on SIGTERM/SIGINT. Without catatonit: busybox sh trapping TERM around `sleep` (reaps too, as sh).
 */
export function pauseImage(catatonit = '/usr/bin/catatonit', busybox = '/bin/busybox'): ImageSpec {
  if (existsSync(catatonit)) {
    return { name: PAUSE_IMAGE, layer: [...baseDirs(), { type: 'file', path: 'pause', data: readFileSync(catatonit), mode: 0o755 }, ...etc()], entrypoint: ['/pause', '-P'] };
  }
  return {
    name: PAUSE_IMAGE,
    layer: [...baseDirs(), { type: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 }, { type: 'symlink', path: 'bin/sh', target: 'busybox' }, { type: 'symlink', path: 'bin/sleep', target: 'busybox' }, ...etc()],
    entrypoint: ['/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait; done'],
  };
}

export function writeOciArchive(img: ImageSpec, path: string): string {
  writeFileSync(path, ociArchive(img));
  return path;
}
