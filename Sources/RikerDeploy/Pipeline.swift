import RikerCore
