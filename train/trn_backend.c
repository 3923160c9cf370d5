/*
 * trn_backend.c - which compute backends this build has. The CPU reference
 * (trn_layers.c, trn_model.c, trn_optim.c) is always present. The CUDA path
 * of issue 8 plugs in here: train/ *.cu files, built when nvcc is found, defining
 * KILN_TRAIN_CUDA, and implementing the same forward/backward/step.
 */
#include "train_internal.h"

int trn_backend_available(int backend)
{
	if (backend == TRN_BACKEND_CPU)
		return 1;
#ifdef KILN_TRAIN_CUDA
	if (backend == TRN_BACKEND_CUDA)
		return 1;
#endif
	return 0;
}
