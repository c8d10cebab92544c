# Sourced at the start of every command on a lent GPU machine (docs/GPU.md): the one package its image
# lacks (pillow-heif, carried as a wheel in .whl/), this checkout on the path, unbuffered logs.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 TQDM_MININTERVAL=20
python3 -c "import torch, PIL, pillow_heif; print('torch', torch.__version__, 'pillow', PIL.__version__, 'heif', pillow_heif.__version__, 'cuda', torch.cuda.is_available())"
