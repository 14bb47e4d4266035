// Every in-tree plugin exports exactly one symbol, copyscope_transport_entry:
// reads each .so's dynamic symbol table (ELF64) and lists the defined global
// symbols.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "plugins/copyscope_transport.h"
#include "plugins/loader.h"

namespace {

// Defined (not undefined) global or weak symbols of the dynamic table.
std::set<std::string> ExportedSymbols(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> file((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  std::set<std::string> out;
  if (file.size() < sizeof(Elf64_Ehdr)) return out;
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(file.data());
  if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
      eh->e_ident[EI_CLASS] != ELFCLASS64) {
    return out;
  }
  const auto* sh =
      reinterpret_cast<const Elf64_Shdr*>(file.data() + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum; ++i) {
    if (sh[i].sh_type != SHT_DYNSYM) continue;
    const Elf64_Shdr& strtab = sh[sh[i].sh_link];
    const char* names = file.data() + strtab.sh_offset;
    const auto* syms =
        reinterpret_cast<const Elf64_Sym*>(file.data() + sh[i].sh_offset);
    size_t count = sh[i].sh_size / sizeof(Elf64_Sym);
    for (size_t s = 0; s < count; ++s) {
      int bind = ELF64_ST_BIND(syms[s].st_info);
      if (syms[s].st_shndx == SHN_UNDEF) continue;
      if (bind != STB_GLOBAL && bind != STB_WEAK) continue;
      out.insert(names + syms[s].st_name);
    }
  }
  return out;
}

TEST(PluginExportsTest, EveryInTreePluginExportsOnlyTheEntrySymbol) {
  std::string dir = copyscope::plugins::DefaultPluginDirectory();
  ASSERT_FALSE(dir.empty()) << "no runfiles transports/ directory";
  copyscope::plugins::PluginSet set;
  std::string error;
  ASSERT_TRUE(set.LoadDirectory(dir, &error)) << error;
  ASSERT_GE(set.plugins().size(), 3u);
  for (const auto& p : set.plugins()) {
    std::set<std::string> exported = ExportedSymbols(p.path);
    EXPECT_EQ(exported, std::set<std::string>{CS_ENTRY_SYMBOL}) << p.path;
  }
}

TEST(PluginExportsTest, TheReaderSeesSymbolsOfAnOrdinaryLibrary) {
  // Guards the reader itself: a fixture built without the version script
  // exports its own symbol and the linker's (_end, __bss_start, ...), all of
  // which the plugins' version script hides.
  std::string path = std::string(std::getenv("TEST_SRCDIR")) +
                     "/copyscope/plugins/testdata/fixture_no_entry.so";
  std::set<std::string> exported = ExportedSymbols(path);
  EXPECT_EQ(exported.count("some_other_symbol"), 1u);
  EXPECT_EQ(exported.count("_end"), 1u);
  EXPECT_EQ(exported.count(CS_ENTRY_SYMBOL), 0u);
}

}  // namespace
