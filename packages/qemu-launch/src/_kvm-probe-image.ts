/**
 * A 16 KiB multiboot image for the KVM probe. QEMU loads it with `-kernel` and enters it in 32-bit
 * protected mode; it switches to long mode (identity-mapped 1 GiB with 2 MiB pages), runs a
 * compute loop of 20 million iterations over 1 MiB of memory, then writes 0x21 to the
 * `isa-debug-exit` port, so QEMU exits with code (0x21 << 1) | 1 = 67.
 *
 * Why a compute loop: under nested virtualisation KVM can start a guest and even run firmware,
 * yet crawl once the guest computes (a Linux kernel then "hangs" while decompressing). The loop
 * takes milliseconds under a working KVM and well under a second under TCG.
 */
export const PROBE_EXIT_CODE = 67;

const BASE = 0x100000;
const LOOP_ITERATIONS = 20_000_000;

export function kvmProbeImage(): Buffer {
  const image = Buffer.alloc(0x4000);
  const magic = 0x1badb002;
  const flags = 0x00010000; // the a.out kludge: load addresses are in the header
  const header = [magic, flags, -(magic + flags), BASE, BASE, 0, 0, BASE + 0x20];
  header.forEach((value, i) => {
    image.writeUInt32LE(value >>> 0, i * 4);
  });

  const u32 = (value: number) => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value >>> 0);
    return [...bytes];
  };
  const code32 = [
    ...[0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0], //      cr4 |= PAE
    ...[0xb8, ...u32(BASE + 0x1000), 0x0f, 0x22, 0xd8], //             cr3 = PML4
    ...[0xb9, ...u32(0xc0000080), 0x0f, 0x32, 0x0d, ...u32(0x100), 0x0f, 0x30], // EFER.LME
    ...[0x0f, 0x20, 0xc0, 0x0d, ...u32(0x80000000), 0x0f, 0x22, 0xc0], // cr0 |= PG
    ...[0x0f, 0x01, 0x15, ...u32(BASE + 0x120)], //                     lgdt [gdtr]
    ...[0xea, ...u32(BASE + 0xc0), 0x08, 0x00], //                      jmp 0x08:code64
  ];
  Buffer.from(code32).copy(image, 0x20);
  const code64 = [
    ...[0xbf, ...u32(0x1000000)], //                          mov edi, 16 MiB
    ...[0xb9, ...u32(LOOP_ITERATIONS)], //                    mov ecx, N
    ...[0x48, 0x01, 0x0f], //                                 loop: add [rdi], rcx
    ...[0x48, 0x83, 0xc7, 0x08], //                           add rdi, 8
    ...[0x81, 0xe7, ...u32(0x010fffff)], //                   and edi, 16 MiB + 1 MiB - 1
    ...[0xff, 0xc9, 0x75, 0xef], //                           dec ecx; jnz loop
    ...[0x66, 0xba, 0xf4, 0x00, 0xb0, 0x21, 0xee], //        out 0xf4, 0x21 (isa-debug-exit)
    ...[0xf4, 0xeb, 0xfd], //                                 hlt; jmp hlt
  ];
  Buffer.from(code64).copy(image, 0xc0);
  image.writeBigUInt64LE(0x00209a0000000000n, 0x108); // GDT[1]: 64-bit code segment
  image.writeUInt16LE(15, 0x120); //                       GDTR limit
  image.writeUInt32LE(BASE + 0x100, 0x122); //             GDTR base
  image.writeBigUInt64LE(BigInt(BASE + 0x2003), 0x1000); // PML4[0] -> PDPT
  image.writeBigUInt64LE(BigInt(BASE + 0x3003), 0x2000); // PDPT[0] -> PD
  for (let i = 0; i < 512; i++) image.writeBigUInt64LE(BigInt(i) * 0x200000n + 0x83n, 0x3000 + i * 8); // 2 MiB pages
  return image;
}
