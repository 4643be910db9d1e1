# What would every active garment cost on the default provider? Creates nothing.
python manage.py tryon_generate --all --dry-run
# Three products on two model photos, with Magic Hour.
python manage.py tryon_generate --products 12 13 14 --model-photos 1 2 --provider magichour
# One garment; follow the batch, then copy the pictures into ./tryons.
python manage.py tryon_generate --garments 7 --wait --download-dir ./tryons
