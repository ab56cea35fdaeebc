"""The stations blueprint: the 地图 tab (list first, map second), station pages, import/export CLI."""
