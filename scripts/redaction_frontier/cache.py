import os
import pickle, numpy as np
from pathlib import Path
from epitrace.config import get_settings
from epitrace.evaluation.redaction import detect_all
from epitrace.models import model_path
from epitrace.vision.persons import PersonDetector
from epitrace.vision.nanodet import NanoDetPersonDetector
D=Path('../shared/data/pets2009_s2l1')
os.makedirs(os.environ.get('FRONTIER_DIR', '/tmp/frontier'), exist_ok=True)
m=get_settings().models_dir
c=PersonDetector(model_path("person_centernet", m), input_size=640, score_threshold=0.1)
pickle.dump(detect_all(D/'video/vtest.avi', c, (1,400)), open(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + '/det_cn.pkl','wb'))
n=NanoDetPersonDetector(model_path("person_nanodet_int8", m), score_threshold=0.1)
pickle.dump(detect_all(D/'video/vtest.avi', n, (1,400)), open(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + '/det_nd.pkl','wb'))
