// Teaclave's built-in functions (spec/teaclave-compat.md §6), plus MesaTEE's builtin-copy, in the
// order the registry lists them.
import type { BuiltinFunction } from "../types.js";
import { copy } from "./copy.js";
import { echo } from "./echo.js";
import { faceDetection } from "./face-detection.js";
import { gbdtPredict } from "./gbdt-predict.js";
import { gbdtTrain } from "./gbdt-train.js";
import { logisticRegressionPredict, logisticRegressionTrain } from "./logistic-regression.js";
import { onlineDecrypt } from "./online-decrypt.js";
import { orderedSetIntersect } from "./ordered-set-intersect.js";
import { orderedSetJoin } from "./ordered-set-join.js";
import { passwordCheck } from "./password-check.js";
import { principalComponentsAnalysis } from "./principal-components-analysis.js";
import { privateJoinAndCompute } from "./private-join-and-compute.js";
import { rsaSign } from "./rsa-sign.js";

export const teaclaveFunctions: readonly BuiltinFunction[] = [
  echo,
  gbdtTrain,
  gbdtPredict,
  logisticRegressionTrain,
  logisticRegressionPredict,
  passwordCheck,
  onlineDecrypt,
  orderedSetIntersect,
  orderedSetJoin,
  privateJoinAndCompute,
  rsaSign,
  principalComponentsAnalysis,
  faceDetection,
  copy,
];
