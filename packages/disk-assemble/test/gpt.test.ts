import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutPartitions, partitionTypes, readGpt, writeGpt, type GptTable } from '@distroforge/disk-assemble';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'disk-gpt-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const requests = [
  { name: 'bios', type: 'bios-boot', size: MiB },
  { name: 'esp', type: 'esp', size: 33 * MiB },
  { name: 'swap', type: 'swap', size: 8 * MiB + 1 },
  { name: 'data', type: 'linux-data', size: 2 * MiB },
  { name: 'root', type: 'root-x86-64', size: 'rest' as const },
];

async function sfdiskJson(path: string) {
  const { stdout } = await execa('sfdisk', ['--json', path]);
  return JSON.parse(stdout).partitiontable as {
    label: string;
    id: string;
    firstlba: number;
    lastlba: number;
    partitions: { start: number; size: number; type: string; uuid: string; name: string }[];
  };
}

describe('writeGpt', () => {
  it('writes a table that sfdisk and sgdisk verify and read back as written', async () => {
    const table = layoutPartitions(requests, { diskSize: 100 * MiB, seed: 'test-seed' });
    const path = join(work, 'disk.img');
    await writeGpt(path, table);
    const verify = await execa('sfdisk', ['--verify', path]);
    expect(verify.stdout).toMatch(/No errors detected/);
    expect(verify.stderr).toBe('');
    const sgdisk = await execa('sgdisk', ['-v', path]);
    expect(sgdisk.stdout).toMatch(/No problems found/);
    expect(sgdisk.stdout).not.toMatch(/caution|warning|corrupt/i);
    const json = await sfdiskJson(path);
    expect(json.label).toBe('gpt');
    expect(json.id).toBe(table.diskGuid);
    expect(json.partitions.map((p) => [p.name, p.type, p.uuid, p.start, p.size])).toEqual(
      table.partitions.map((p) => [
        p.name,
        (partitionTypes as Record<string, string>)[p.type],
        p.guid,
        p.firstLba,
        p.lastLba - p.firstLba + 1,
      ]),
    );
    // 1 MiB alignment, the rest partition ends on an aligned boundary before the backup GPT.
    for (const p of json.partitions) expect(p.start % 2048).toBe(0);
    expect(json.partitions[2]?.size).toBe(9 * 2048);
    expect(json.partitions[4]!.start + json.partitions[4]!.size).toBe(100 * 2048 - 2048);
    const back = await readGpt(path);
    expect(back.backupValid).toBe(true);
    expect(back.diskGuid).toBe(table.diskGuid);
    expect(back.partitions.map((p) => ({ name: p.name, typeName: p.typeName, guid: p.guid }))).toEqual(
      table.partitions.map((p) => ({ name: p.name, typeName: p.type, guid: p.guid })),
    );
  });

  it('detects a corrupted backup the way sgdisk does', async () => {
    const table = layoutPartitions(requests.slice(0, 2), { seed: 's' });
    const path = join(work, 'corrupt.img');
    await writeGpt(path, table);
    const { open } = await import('node:fs/promises');
    const handle = await open(path, 'r+');
    await handle.write(Buffer.from('X'), 0, 1, table.sectorCount * 512 - 512 + 100);
    await handle.close();
    // Byte 100 of the header sector lies outside the 92 CRC'd bytes: still valid.
    expect((await readGpt(path)).backupValid).toBe(true);
    const h2 = await open(path, 'r+');
    await h2.write(Buffer.from('X'), 0, 1, table.sectorCount * 512 - 512 + 60);
    await h2.close();
    expect((await readGpt(path)).backupValid).toBe(false);
    const sgdisk = await execa('sgdisk', ['-v', path], { reject: false });
    expect(sgdisk.stdout).toMatch(/corrupt GPT/);
  });

  it('derives GUIDs from the seed: equal seeds give equal bytes, different seeds differ', async () => {
    const a = join(work, 'a.img');
    const b = join(work, 'b.img');
    const c = join(work, 'c.img');
    await writeGpt(a, layoutPartitions(requests, { diskSize: 64 * MiB, seed: 'one' }));
    await writeGpt(b, layoutPartitions(requests, { diskSize: 64 * MiB, seed: 'one' }));
    await writeGpt(c, layoutPartitions(requests, { diskSize: 64 * MiB, seed: 'two' }));
    expect((await readFile(a)).equals(await readFile(b))).toBe(true);
    expect((await readFile(a)).equals(await readFile(c))).toBe(false);
    const guids = (await readGpt(a)).partitions.map((p) => p.guid);
    for (const guid of guids)
      expect(guid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(new Set(guids).size).toBe(guids.length);
  });

  it('refuses overlaps, out-of-range partitions and too small disks with typed errors', async () => {
    const table = layoutPartitions(requests.slice(0, 2), { seed: 's' });
    const overlapping: GptTable = {
      ...table,
      partitions: [table.partitions[0]!, { ...table.partitions[1]!, firstLba: table.partitions[0]!.lastLba }],
    };
    await expect(writeGpt(join(work, 'x.img'), overlapping)).rejects.toMatchObject({
      code: 'ERR_PARTITION_LAYOUT',
      value: ['bios', 'esp'],
    });
    const outside: GptTable = { ...table, partitions: [{ ...table.partitions[1]!, lastLba: table.sectorCount - 1 }] };
    await expect(writeGpt(join(work, 'x.img'), outside)).rejects.toMatchObject({ code: 'ERR_PARTITION_LAYOUT' });
    expect(() => layoutPartitions(requests, { diskSize: 40 * MiB, seed: 's' })).toThrow(
      expect.objectContaining({ code: 'ERR_DISK_TOO_SMALL', needed: 48 * MiB }),
    );
    await expect(
      writeGpt(join(work, 'x.img'), layoutPartitions([{ name: 'x', type: 'not-a-guid', size: MiB }], { seed: 's' })),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS', value: 'NOT-A-GUID' });
  });
});
