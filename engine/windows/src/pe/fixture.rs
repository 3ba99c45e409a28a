//! A tiny PE writer for test fixtures: a valid PE32+ DLL with no code and one
//! `.rsrc` section holding a version resource, laid out as the linker and
//! `rc.exe` lay them out, so that other PE readers accept it too.

/// What to put in the version resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionResource {
    /// `VS_FIXEDFILEINFO` file version, major first.
    pub file_version: [u16; 4],
    /// `VS_FIXEDFILEINFO` product version, major first.
    pub product_version: [u16; 4],
    /// `StringFileInfo` strings of table `040904B0` (US English, Unicode).
    pub strings: Vec<(String, String)>,
}

const FILE_ALIGNMENT: usize = 0x200;
const SECTION_ALIGNMENT: u32 = 0x1000;
const RSRC_RVA: u32 = 0x1000;
const LANGUAGE_EN_US: u16 = 0x0409;
const CODE_PAGE_UNICODE: u16 = 1200;

impl VersionResource {
    /// The `VS_VERSIONINFO` bytes of this resource.
    pub fn to_bytes(&self) -> Vec<u8> {
        let [file_major, file_minor, file_build, file_revision] = self.file_version;
        let [
            product_major,
            product_minor,
            product_build,
            product_revision,
        ] = self.product_version;
        let mut fixed = Vec::with_capacity(52);
        for word in [
            0xFEEF_04BD,
            0x0001_0000,
            pack(file_major, file_minor),
            pack(file_build, file_revision),
            pack(product_major, product_minor),
            pack(product_build, product_revision),
            0x3F,        // dwFileFlagsMask
            0,           // dwFileFlags
            0x0004_0004, // VOS_NT_WINDOWS32
            2,           // VFT_DLL
            0,
            0,
            0,
        ] {
            fixed.extend_from_slice(&u32::to_le_bytes(word));
        }
        let strings: Vec<u8> = self
            .strings
            .iter()
            .flat_map(|(name, value)| {
                let text = utf16z(value);
                let chars = u16::try_from(text.len() / 2).unwrap_or(u16::MAX);
                block(name, &text, chars, 1, &[])
            })
            .collect();
        let table_key = format!("{LANGUAGE_EN_US:04X}{CODE_PAGE_UNICODE:04X}");
        let table = block(&table_key, &[], 0, 1, &strings);
        let string_file_info = block("StringFileInfo", &[], 0, 1, &table);
        let mut translation = Vec::new();
        translation.extend_from_slice(&LANGUAGE_EN_US.to_le_bytes());
        translation.extend_from_slice(&CODE_PAGE_UNICODE.to_le_bytes());
        let var = block("Translation", &translation, 4, 0, &[]);
        let var_file_info = block("VarFileInfo", &[], 0, 1, &var);
        let mut children = string_file_info;
        children.extend_from_slice(&var_file_info);
        block("VS_VERSION_INFO", &fixed, 52, 0, &children)
    }
}

/// A PE32+ DLL whose only content is `resource` as its version resource, or
/// a PE with no resources at all when `resource` is `None`.
pub fn pe_with_version(resource: Option<&VersionResource>) -> Vec<u8> {
    let rsrc = resource.map(|r| resource_section(&r.to_bytes()));
    let rsrc_len = rsrc.as_ref().map_or(0, Vec::len);
    let rsrc_raw = rsrc_len.next_multiple_of(FILE_ALIGNMENT);
    let sections: u16 = if rsrc.is_some() { 1 } else { 0 };
    let size_of_image = RSRC_RVA + to_u32(rsrc_len).next_multiple_of(SECTION_ALIGNMENT);

    let mut out = Vec::with_capacity(FILE_ALIGNMENT + rsrc_raw);
    // DOS header: the magic and, at 0x3C, where the PE header starts.
    out.extend_from_slice(b"MZ");
    out.resize(0x3C, 0);
    out.extend_from_slice(&0x40u32.to_le_bytes());
    // PE signature and COFF header.
    out.extend_from_slice(b"PE\0\0");
    put16(&mut out, 0x8664); // IMAGE_FILE_MACHINE_AMD64
    put16(&mut out, sections);
    put32(&mut out, 0); // TimeDateStamp
    put32(&mut out, 0); // PointerToSymbolTable
    put32(&mut out, 0); // NumberOfSymbols
    put16(&mut out, 240); // SizeOfOptionalHeader (PE32+)
    put16(&mut out, 0x2022); // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE | DLL
    // Optional header, PE32+.
    put16(&mut out, 0x20B);
    out.extend_from_slice(&[14, 0]); // linker version
    put32(&mut out, 0); // SizeOfCode
    put32(&mut out, to_u32(rsrc_raw)); // SizeOfInitializedData
    put32(&mut out, 0); // SizeOfUninitializedData
    put32(&mut out, 0); // AddressOfEntryPoint: a resource-only DLL
    put32(&mut out, RSRC_RVA); // BaseOfCode
    out.extend_from_slice(&0x1_8000_0000u64.to_le_bytes()); // ImageBase
    put32(&mut out, SECTION_ALIGNMENT);
    put32(&mut out, to_u32(FILE_ALIGNMENT));
    for version in [6u16, 0, 0, 0, 6, 0] {
        put16(&mut out, version); // OS, image and subsystem versions
    }
    put32(&mut out, 0); // Win32VersionValue
    put32(&mut out, size_of_image);
    put32(&mut out, to_u32(FILE_ALIGNMENT)); // SizeOfHeaders
    put32(&mut out, 0); // CheckSum
    put16(&mut out, 2); // IMAGE_SUBSYSTEM_WINDOWS_GUI
    put16(&mut out, 0x8160); // DllCharacteristics: ASLR, NX, high entropy, TS aware
    for size in [0x10_0000u64, 0x1000, 0x10_0000, 0x1000] {
        out.extend_from_slice(&size.to_le_bytes()); // stack and heap
    }
    put32(&mut out, 0); // LoaderFlags
    put32(&mut out, 16); // NumberOfRvaAndSizes
    for index in 0..16 {
        if index == 2 && rsrc.is_some() {
            put32(&mut out, RSRC_RVA);
            put32(&mut out, to_u32(rsrc_len));
        } else {
            put32(&mut out, 0);
            put32(&mut out, 0);
        }
    }
    if rsrc.is_some() {
        out.extend_from_slice(b".rsrc\0\0\0");
        put32(&mut out, to_u32(rsrc_len)); // VirtualSize
        put32(&mut out, RSRC_RVA);
        put32(&mut out, to_u32(rsrc_raw)); // SizeOfRawData
        put32(&mut out, to_u32(FILE_ALIGNMENT)); // PointerToRawData
        out.extend_from_slice(&[0; 12]); // relocations and line numbers
        put32(&mut out, 0x4000_0040); // INITIALIZED_DATA | MEM_READ
    }
    out.resize(FILE_ALIGNMENT, 0);
    if let Some(rsrc) = rsrc {
        out.extend_from_slice(&rsrc);
        out.resize(FILE_ALIGNMENT + rsrc_raw, 0);
    }
    out
}

/// The `.rsrc` section: type 16 (RT_VERSION) / ID 1 / language en-US.
fn resource_section(version_info: &[u8]) -> Vec<u8> {
    const SUBDIRECTORY: u32 = 0x8000_0000;
    let mut out = Vec::new();
    let directory = |out: &mut Vec<u8>, id: u16, target: u32| {
        out.extend_from_slice(&[0; 12]); // characteristics, time, version
        put16(out, 0); // named entries
        put16(out, 1); // ID entries
        put32(out, u32::from(id));
        put32(out, target);
    };
    directory(&mut out, 16, SUBDIRECTORY | 0x18);
    directory(&mut out, 1, SUBDIRECTORY | 0x30);
    directory(&mut out, LANGUAGE_EN_US, 0x48);
    // The data entry, then the data at a 16-byte boundary.
    put32(&mut out, RSRC_RVA + 0x58);
    put32(&mut out, to_u32(version_info.len()));
    put32(&mut out, 0); // code page
    put32(&mut out, 0);
    out.resize(0x58, 0);
    out.extend_from_slice(version_info);
    out
}

/// One `VS_VERSIONINFO` node: header, key, value and children, each aligned
/// to 4 bytes; `wLength` covers all but the final padding.
fn block(key: &str, value: &[u8], value_length: u16, kind: u16, children: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0];
    put16(&mut out, value_length);
    put16(&mut out, kind);
    out.extend_from_slice(&utf16z(key));
    pad4(&mut out);
    out.extend_from_slice(value);
    if !children.is_empty() {
        pad4(&mut out);
        out.extend_from_slice(children);
    }
    let length = u16::try_from(out.len()).unwrap_or(u16::MAX).to_le_bytes();
    out.splice(0..2, length);
    pad4(&mut out);
    out
}

fn pack(high: u16, low: u16) -> u32 {
    (u32::from(high) << 16) | u32::from(low)
}

fn utf16z(text: &str) -> Vec<u8> {
    text.encode_utf16()
        .chain([0])
        .flat_map(u16::to_le_bytes)
        .collect()
}

fn pad4(out: &mut Vec<u8>) {
    out.resize(out.len().next_multiple_of(4), 0);
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// Fixture sizes are far below 4 GiB; saturate rather than wrap if not.
fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}
