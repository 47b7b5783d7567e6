
tiny1

lower.onnx2127.0.0.1:1PbP@MEjinputrD{"exit_part":0,"measure":"max_softmax","output":"x","threshold":0.8}