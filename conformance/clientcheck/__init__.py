"""Client conformance: the mock plays Skatteetaten and judges a vendor's own SBS, in any language."""
