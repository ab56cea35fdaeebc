"""The check-in blueprint: scanning, kiosks, posters, service hours, activities."""
